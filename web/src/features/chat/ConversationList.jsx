import { Alert, Button, Spinner } from '../../components/ui/index.js'
import { parseApiError } from '../../lib/apiError.js'
import { useNow } from '../../lib/useNow.js'
import { useGetConversationsQuery } from './chatApi.js'
import { ConversationItem } from './ConversationItem.jsx'
import { UserSearch } from './UserSearch.jsx'

/** The left pane: find people, and every conversation, most recent first. */
export function ConversationList({ activePeerId }) {
  // Others' names and pictures change without an event: look again when the
  // user comes back to the tab or to this page after a while.
  const { data: conversations, error, isLoading, refetch } = useGetConversationsQuery(undefined, {
    refetchOnFocus: true,
    refetchOnMountOrArgChange: 30,
  })
  const now = useNow(30000)
  const parsed = parseApiError(error)

  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <div className="space-y-3 border-b border-line p-3 sm:p-4">
        <h1 className="text-xl font-bold tracking-tight">Chat</h1>
        <UserSearch />
      </div>
      <nav aria-label="Conversations" className="min-h-0 flex-1 overflow-y-auto">
        {isLoading && (
          <p role="status" className="flex items-center gap-2 p-4 text-sm text-ink-muted">
            <Spinner /> Loading conversations…
          </p>
        )}
        {parsed && !conversations && (
          <div className="space-y-2 p-4">
            <Alert tone="error">{parsed.message}</Alert>
            <Button variant="secondary" size="sm" onClick={refetch}>
              Try again
            </Button>
          </div>
        )}
        {conversations?.length === 0 && (
          <p className="p-4 text-sm text-ink-muted">No conversations yet. Find someone above to start one.</p>
        )}
        {conversations?.length > 0 && (
          <ul className="divide-y divide-line" data-testid="conversation-list">
            {conversations.map((conversation) => (
              <ConversationItem
                key={conversation.id}
                conversation={conversation}
                active={conversation.peer?.id === activePeerId}
                now={now}
              />
            ))}
          </ul>
        )}
      </nav>
    </div>
  )
}
