import { useEffect, useState } from 'react'
import { useAppSelector } from '../../app/hooks.js'
import { selectTypingUntil } from './chatSlice.js'

/** Whether the peer is typing now; re-renders when that stops by itself (5 s without an update). */
export function usePeerTyping(peerId) {
  const until = useAppSelector((state) => selectTypingUntil(state, peerId))
  const [, setTick] = useState(0)
  useEffect(() => {
    const left = until - Date.now()
    if (left <= 0) return undefined
    const timer = setTimeout(() => setTick((n) => n + 1), left + 20)
    return () => clearTimeout(timer)
  }, [until])
  return until > Date.now()
}
