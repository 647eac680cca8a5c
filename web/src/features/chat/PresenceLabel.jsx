import { cx } from '../../components/ui/index.js'
import { formatLastSeen } from '../../lib/time.js'
import { useNow } from '../../lib/useNow.js'
import { usePresence } from './usePresence.js'

/** "Online" with a green dot, or "last seen 5 min ago". */
export function PresenceLabel({ user, className }) {
  const presence = usePresence(user)
  const now = useNow(30000)
  if (!presence) return null
  const online = presence.status === 'online'
  return (
    <span className={cx('inline-flex items-center gap-1.5 text-xs text-ink-muted', className)} data-presence={presence.status}>
      <span aria-hidden="true" className={cx('size-2 shrink-0 rounded-full', online ? 'bg-success' : 'bg-control')} />
      {online ? 'Online' : formatLastSeen(presence.lastSeen, now)}
    </span>
  )
}

/** An avatar with the online dot on its corner (the dot is decorative: say it in text too). */
export function PresenceAvatar({ user, children }) {
  const presence = usePresence(user)
  return (
    <span className="relative inline-flex shrink-0">
      {children}
      {presence?.status === 'online' && (
        <span aria-hidden="true" className="absolute right-0 bottom-0 size-3 rounded-full bg-success ring-2 ring-panel" />
      )}
    </span>
  )
}
