import { useParams } from 'react-router'
import { Alert, cx } from '../../components/ui/index.js'
import { useDocumentTitle } from '../../lib/useDocumentTitle.js'
import { ConversationList } from './ConversationList.jsx'
import { ThreadView } from './ThreadView.jsx'

const ID_PATTERN = /^[0-9a-f]{24}$/

/**
 * /chat and /chat/:peerId. Side by side from tablet width up; on a phone
 * the list and the open conversation take turns.
 */
export function ChatPage() {
  useDocumentTitle('Chat')
  const { peerId } = useParams()
  const open = Boolean(peerId)

  return (
    <div className="flex min-h-[26rem] flex-1 overflow-hidden rounded-2xl border border-line bg-panel shadow-sm">
      <aside
        aria-label="Conversations and people"
        className={cx('min-h-0 w-full flex-col border-line md:flex md:w-80 md:shrink-0 md:border-r', open ? 'hidden' : 'flex')}
      >
        <ConversationList activePeerId={peerId} />
      </aside>
      <section aria-label="Conversation" className={cx('min-h-0 min-w-0 flex-1 flex-col', open ? 'flex' : 'hidden md:flex')}>
        {!open && (
          <div className="m-auto max-w-xs p-6 text-center text-ink-muted">
            <p className="font-medium text-ink">No conversation open</p>
            <p className="mt-1 text-sm">Pick a conversation, or find someone by name or email to start one.</p>
          </div>
        )}
        {open && !ID_PATTERN.test(peerId) && (
          <div className="p-6">
            <Alert tone="error">This conversation link is not valid.</Alert>
          </div>
        )}
        {open && ID_PATTERN.test(peerId) && <ThreadView key={peerId} peerId={peerId} />}
      </section>
    </div>
  )
}
