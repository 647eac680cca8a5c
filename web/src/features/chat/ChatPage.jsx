import { Card } from '../../components/ui/index.js'
import { useDocumentTitle } from '../../lib/useDocumentTitle.js'
import { UserSearch } from './UserSearch.jsx'

export function ChatPage() {
  useDocumentTitle('Chat')
  return (
    <div className="mx-auto max-w-2xl space-y-6">
      <div className="space-y-2">
        <h1 className="text-2xl font-bold tracking-tight">Chat</h1>
        <p className="text-ink-muted">
          Conversations arrive soon. Meanwhile, find the people you want to talk to.
        </p>
      </div>
      <Card>
        <UserSearch />
      </Card>
    </div>
  )
}

