import { Spinner } from '../components/ui/index.js'
import { useAppSelector } from './hooks.js'
import { selectConnectionStatus } from './connectionSlice.js'

const MESSAGES = {
  reconnecting: 'Connection lost. Reconnecting…',
  offline: 'You are offline. Messages you send are kept and go out when you are back.',
}

/** A banner while the realtime connection is down (not during the first connect). */
export function ConnectionBanner() {
  const status = useAppSelector(selectConnectionStatus)
  const message = MESSAGES[status]
  return (
    <div role="status" aria-live="polite" data-testid="connection-banner" data-connection={status}>
      {message && (
        <p className="flex items-center justify-center gap-2 border-b border-line bg-danger-soft px-4 py-2 text-sm font-medium text-danger">
          {status === 'reconnecting' && <Spinner />}
          {message}
        </p>
      )}
    </div>
  )
}
