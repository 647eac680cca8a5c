import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import { useAppDispatch, useAppSelector } from '../../app/hooks.js'
import { selectIsOnline } from '../../app/connectionSlice.js'
import { ArrowDownIcon, Button, Spinner } from '../../components/ui/index.js'
import { formatDay } from '../../lib/time.js'
import { useDocumentVisible } from '../../lib/useDocumentVisible.js'
import { useNow } from '../../lib/useNow.js'
import { selectPendingFor, selectThread, selectThreadMessages } from './chatSlice.js'
import { loadOlder, markRead } from './chatThunks.js'
import { ImageViewer } from './ImageViewer.jsx'
import { MessageBubble } from './MessageBubble.jsx'
import { PendingBubble } from './PendingBubble.jsx'
import { buildTimeline, newestUnreadFrom } from './timeline.js'

/** Closer than this to the bottom counts as "at the bottom" (reading the newest). */
const BOTTOM_SLACK_PX = 48
/** Scrolling this close to the top loads the previous page. */
const LOAD_OLDER_PX = 160

function DaySeparator({ at, now }) {
  return (
    <li className="flex justify-center py-2">
      <span className="rounded-full bg-canvas px-3 py-0.5 text-xs font-medium text-ink-muted ring-1 ring-line">
        {formatDay(at, now)}
      </span>
    </li>
  )
}

/**
 * The conversation's messages, oldest at the top. Scrolling up loads older
 * pages (keeping what is on screen in place); new messages keep the view at
 * the bottom if it was there. What the user sees at the bottom of a visible
 * page is reported read (message-read).
 */
export function MessageList({ peerId, peer }) {
  const dispatch = useAppDispatch()
  const thread = useAppSelector((state) => selectThread(state, peerId))
  const messages = useAppSelector((state) => selectThreadMessages(state, peerId))
  const pending = useAppSelector((state) => selectPendingFor(state, peerId))
  const online = useAppSelector(selectIsOnline)
  const visible = useDocumentVisible()
  const now = useNow(60000)
  const rows = useMemo(() => buildTimeline(messages, pending), [messages, pending])
  const peerName = peer?.name ?? 'Them'

  const scrollRef = useRef(null)
  const listRef = useRef(null)
  // Where the reader is, as of the last scroll: whether the view follows
  // the newest messages, and how far from the bottom it is (to keep the
  // place when older pages are added above).
  const following = useRef(true)
  const fromBottom = useRef(0)
  const [atBottom, setAtBottom] = useState(true)
  const [viewer, setViewer] = useState(null)
  const previous = useRef({ first: null, last: null })

  const hasOlder = Boolean(thread?.hasOlder)
  const olderLoading = thread?.olderStatus === 'loading'
  const requestOlder = () => {
    if (hasOlder && !olderLoading) dispatch(loadOlder(peerId))
  }

  // New rows: stay at the bottom if the reader was there (and always after
  // sending); older rows above: keep what is on screen where it was.
  useLayoutEffect(() => {
    const el = scrollRef.current
    if (!el) return
    const first = rows[0]?.key ?? null
    const lastRow = rows[rows.length - 1]
    const last = lastRow?.key ?? null
    const before = previous.current
    previous.current = { first, last }
    if (before.last === null && last !== null) el.scrollTop = el.scrollHeight
    else if (first !== before.first && last === before.last) el.scrollTop = el.scrollHeight - fromBottom.current
    else if (last !== before.last && (following.current || lastRow?.type === 'pending')) el.scrollTop = el.scrollHeight
  }, [rows])

  // Pictures that finish loading make the list taller: keep following.
  useEffect(() => {
    const el = scrollRef.current
    if (!el || !listRef.current || typeof ResizeObserver === 'undefined') return undefined
    const observer = new ResizeObserver(() => {
      if (following.current) el.scrollTop = el.scrollHeight
    })
    observer.observe(listRef.current)
    return () => observer.disconnect()
  }, [])

  const onScroll = () => {
    const el = scrollRef.current
    fromBottom.current = el.scrollHeight - el.scrollTop
    following.current = fromBottom.current - el.clientHeight <= BOTTOM_SLACK_PX
    if (following.current !== atBottom) setAtBottom(following.current)
    if (el.scrollTop < LOAD_OLDER_PX) requestOlder()
  }

  // Report what the user has seen: the newest message from the peer, once
  // the view is at the bottom of a page that is on screen.
  const newestUnread = newestUnreadFrom(messages, peerId)
  const requested = useRef(null)
  useEffect(() => {
    if (!newestUnread || !atBottom || !online || !visible) return
    if (requested.current === newestUnread.id) return
    requested.current = newestUnread.id
    dispatch(markRead({ peerId, messageId: newestUnread.id })).then((ok) => {
      if (!ok) requested.current = null
    })
  }, [dispatch, peerId, newestUnread, atBottom, online, visible])

  const scrollToBottom = () => {
    const el = scrollRef.current
    el.scrollTop = el.scrollHeight
  }

  const status = thread?.status ?? 'idle'
  return (
    <div className="relative min-h-0 flex-1">
      <div ref={scrollRef} onScroll={onScroll} className="h-full overflow-y-auto px-3 py-3 sm:px-4" data-testid="message-scroller">
        {hasOlder && (
          <div className="flex justify-center pb-2">
            <Button variant="ghost" size="sm" onClick={requestOlder} loading={olderLoading}>
              {olderLoading ? 'Loading older messages…' : 'Load older messages'}
            </Button>
          </div>
        )}
        {thread?.olderStatus === 'error' && (
          <p role="alert" className="pb-2 text-center text-sm text-danger">
            Older messages could not be loaded.
          </p>
        )}
        {(status === 'idle' || status === 'loading') && rows.length === 0 && (
          <p role="status" className="flex items-center justify-center gap-2 p-6 text-sm text-ink-muted">
            <Spinner /> Loading messages…
          </p>
        )}
        {status === 'error' && rows.length === 0 && (
          <p role="alert" className="p-6 text-center text-sm text-danger">
            The messages could not be loaded. They will load when the connection is back.
          </p>
        )}
        {status === 'ready' && rows.length === 0 && (
          <p className="p-6 text-center text-sm text-ink-muted">No messages yet. Say hello to {peerName}!</p>
        )}
        <ol ref={listRef} role="log" aria-label={`Messages with ${peerName}`} aria-busy={olderLoading || undefined} className="space-y-1.5">
          {rows.map((row) => {
            if (row.type === 'day') return <DaySeparator key={row.key} at={row.at} now={now} />
            if (row.type === 'pending') {
              return (
                <li key={row.key} data-status={row.item.status}>
                  <PendingBubble item={row.item} online={online} />
                </li>
              )
            }
            const { message } = row
            const mine = message.from !== peerId
            return (
              <li
                key={row.key}
                data-message-id={message.id}
                data-mine={mine}
                data-status={mine ? (message.read ? 'read' : message.delivered ? 'delivered' : 'sent') : undefined}
              >
                <MessageBubble
                  message={message}
                  peerId={peerId}
                  peerName={peerName}
                  onOpenImage={(image, alt) => setViewer({ image, alt })}
                />
              </li>
            )
          })}
        </ol>
      </div>
      {!atBottom && (
        <Button
          variant="secondary"
          size="sm"
          onClick={scrollToBottom}
          className="absolute right-4 bottom-3 rounded-full shadow-md"
          aria-label="Jump to the newest messages"
        >
          <ArrowDownIcon className="size-4" />
        </Button>
      )}
      <ImageViewer image={viewer?.image} alt={viewer?.alt ?? ''} onClose={() => setViewer(null)} />
    </div>
  )
}
