import { Link } from 'react-router'
import { Avatar, cx } from '../../components/ui/index.js'
import { formatListTime } from '../../lib/time.js'
import { previewOf } from './callRecords.js'
import { MessageStatus, statusOf } from './MessageStatus.jsx'
import { PresenceAvatar, PresenceLabel } from './PresenceLabel.jsx'
import { usePeerTyping } from './useTyping.js'

/** One row of the conversation list: who, presence, the last message, unread count. */
export function ConversationItem({ conversation, active, now }) {
  const { peer, lastMessage, unreadCount = 0, updatedAt } = conversation
  const typing = usePeerTyping(peer.id)
  const mine = lastMessage && lastMessage.from !== peer.id && !lastMessage.call
  return (
    <li>
      <Link
        to={`/chat/${peer.id}`}
        aria-current={active ? 'page' : undefined}
        className={cx(
          'flex items-center gap-3 px-3 py-3 sm:px-4',
          active ? 'bg-accent-soft' : 'hover:bg-canvas',
        )}
      >
        <PresenceAvatar user={peer}>
          <Avatar user={peer} />
        </PresenceAvatar>
        <span className="min-w-0 flex-1">
          <span className="flex items-baseline justify-between gap-2">
            <span className="truncate font-medium text-ink">{peer.name}</span>
            {updatedAt && (
              <time dateTime={updatedAt} className={cx('shrink-0 text-xs', unreadCount ? 'font-semibold text-accent' : 'text-ink-muted')}>
                {formatListTime(updatedAt, now)}
              </time>
            )}
          </span>
          <span className="flex items-center justify-between gap-2">
            <span className={cx('flex min-w-0 items-center gap-1 text-sm', typing ? 'text-accent' : 'text-ink-muted')}>
              {typing ? (
                'typing…'
              ) : (
                <>
                  {mine && <MessageStatus status={statusOf(lastMessage)} />}
                  <span className="truncate">{lastMessage ? previewOf(lastMessage, peer.id) : 'No messages yet'}</span>
                </>
              )}
            </span>
            {unreadCount > 0 && (
              <span className="min-w-5 shrink-0 rounded-full bg-accent px-1.5 text-center text-xs leading-5 font-semibold text-on-accent" data-testid="unread-badge">
                {unreadCount}
                <span className="sr-only"> unread</span>
              </span>
            )}
          </span>
          <PresenceLabel user={peer} />
        </span>
      </Link>
    </li>
  )
}
