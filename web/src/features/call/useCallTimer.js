import { formatDuration } from '../../lib/time.js'
import { useNow } from '../../lib/useNow.js'

/** "3:12" since `connectedAt` (ms), ticking every second; null before the call connects. */
export function useCallTimer(connectedAt, endedAt = null) {
  const now = useNow(1000)
  if (!connectedAt) return null
  return formatDuration(((endedAt ?? now) - connectedAt) / 1000)
}
