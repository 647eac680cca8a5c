import { useEffect, useState } from 'react'

/** The current time, refreshed every `intervalMs` (for "5 min ago" and call timers). */
export function useNow(intervalMs = 30000) {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs)
    return () => clearInterval(timer)
  }, [intervalMs])
  return now
}
