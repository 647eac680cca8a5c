// How times read in the UI. Everything is shown in the user's own time zone
// and locale; `locale` is a parameter so tests can pin it.

const MINUTE = 60 * 1000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

function startOfDay(ms) {
  const d = new Date(ms)
  d.setHours(0, 0, 0, 0)
  return d.getTime()
}

/** Whole calendar days between two instants (0 = same day, 1 = yesterday). */
export function calendarDaysBetween(earlier, later) {
  return Math.round((startOfDay(later) - startOfDay(earlier)) / DAY)
}

export function formatClock(iso, locale) {
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso))
}

/** "last seen just now", "last seen 5 min ago", "last seen yesterday at 14:05"… */
export function formatLastSeen(iso, now = Date.now(), locale) {
  if (!iso) return 'offline'
  const at = Date.parse(iso)
  if (Number.isNaN(at)) return 'offline'
  const ago = Math.max(0, now - at)
  if (ago < MINUTE) return 'last seen just now'
  if (ago < HOUR) return `last seen ${Math.floor(ago / MINUTE)} min ago`
  const days = calendarDaysBetween(at, now)
  if (days === 0) return `last seen ${Math.floor(ago / HOUR)} h ago`
  if (days === 1) return `last seen yesterday at ${formatClock(iso, locale)}`
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear()
  const date = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: sameYear ? undefined : 'numeric' })
  return `last seen ${date.format(new Date(at))}`
}

/** The label of a day separator: "Today", "Yesterday", "Monday", "3 November", "3 November 2025". */
export function formatDay(iso, now = Date.now(), locale) {
  const at = Date.parse(iso)
  const days = calendarDaysBetween(at, now)
  if (days === 0) return 'Today'
  if (days === 1) return 'Yesterday'
  if (days > 1 && days < 7) return new Intl.DateTimeFormat(locale, { weekday: 'long' }).format(new Date(at))
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear()
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'long', year: sameYear ? undefined : 'numeric' }).format(
    new Date(at),
  )
}

/** A short time for a conversation list: the clock today, else a day. */
export function formatListTime(iso, now = Date.now(), locale) {
  const at = Date.parse(iso)
  const days = calendarDaysBetween(at, now)
  if (days === 0) return formatClock(iso, locale)
  if (days === 1) return 'Yesterday'
  if (days > 1 && days < 7) return new Intl.DateTimeFormat(locale, { weekday: 'short' }).format(new Date(at))
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' }).format(new Date(at))
}

/** A key that is the same for two instants on the same local day. */
export function dayKey(iso) {
  const d = new Date(iso)
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`
}

/** 192 → "3:12", 3723 → "1:02:03". */
export function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds))
  const hours = Math.floor(s / 3600)
  const minutes = Math.floor((s % 3600) / 60)
  const seconds = String(s % 60).padStart(2, '0')
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`
}
