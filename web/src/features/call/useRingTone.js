import { useEffect } from 'react'

/**
 * A soft two-tone ring while `active`, made with Web Audio (no sound file to
 * ship). Browsers only allow sound after the user has interacted with the
 * page; before that it stays silent rather than raise a warning.
 */
export function useRingTone(active) {
  useEffect(() => {
    const AudioContext = globalThis.AudioContext ?? globalThis.webkitAudioContext
    if (!active || !AudioContext || !globalThis.navigator?.userActivation?.hasBeenActive) return undefined
    let context
    try {
      context = new AudioContext()
    } catch {
      return undefined
    }
    const ring = () => {
      const start = context.currentTime
      for (const [offset, frequency] of [
        [0, 660],
        [0.35, 880],
      ]) {
        const oscillator = context.createOscillator()
        const gain = context.createGain()
        oscillator.frequency.value = frequency
        gain.gain.setValueAtTime(0.0001, start + offset)
        gain.gain.exponentialRampToValueAtTime(0.15, start + offset + 0.03)
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.3)
        oscillator.connect(gain).connect(context.destination)
        oscillator.start(start + offset)
        oscillator.stop(start + offset + 0.32)
      }
    }
    ring()
    const timer = setInterval(ring, 2000)
    return () => {
      clearInterval(timer)
      context.close().catch(() => {})
    }
  }, [active])
}
