import { useEffect, useRef } from 'react'
import { cx } from '../../components/ui/index.js'

/** A <video> showing a MediaStream (srcObject cannot be set as an attribute). */
export function VideoView({ stream, muted = false, mirrored = false, label, className }) {
  const ref = useRef(null)
  useEffect(() => {
    const video = ref.current
    if (!video || video.srcObject === stream) return
    video.srcObject = stream ?? null
    // Autoplay may be refused before any user gesture; the call buttons are
    // one, so this normally plays, and a refusal is not an error worth showing.
    if (stream) video.play?.()?.catch?.(() => {})
  }, [stream])
  return (
    <video
      ref={ref}
      autoPlay
      playsInline
      muted={muted}
      aria-label={label}
      className={cx('bg-stage object-cover', mirrored && '-scale-x-100', className)}
    />
  )
}
