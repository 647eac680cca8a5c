import { Link, useParams } from 'react-router'
import { Alert, Card, buttonClasses } from '../../components/ui/index.js'
import { useDocumentTitle } from '../../lib/useDocumentTitle.js'

const ID_PATTERN = /^[0-9a-f]{24}$/

export function CallPage() {
  useDocumentTitle('Call')
  const { peerId } = useParams()
  const valid = ID_PATTERN.test(peerId ?? '')

  return (
    <div className="mx-auto max-w-2xl space-y-6">
      <h1 className="text-2xl font-bold tracking-tight">Call</h1>
      <Card className="space-y-4">
        {valid ? (
          <p className="text-ink-muted">Voice and video calls arrive soon.</p>
        ) : (
          <Alert tone="error">This call link is not valid.</Alert>
        )}
        <Link to="/chat" className={buttonClasses({ variant: 'secondary' })}>
          Back to chat
        </Link>
      </Card>
    </div>
  )
}

