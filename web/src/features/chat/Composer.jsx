import { useEffect, useId, useRef, useState } from 'react'
import { useAppDispatch, useAppSelector } from '../../app/hooks.js'
import { selectConnectionStatus } from '../../app/connectionSlice.js'
import { Button, HiddenImageInput, ImageIcon, SendIcon, cx } from '../../components/ui/index.js'
import { checkImageFile } from '../../lib/imageFile.js'
import { charCount } from '../../lib/validation.js'
import { notifyTyping, sendImage, sendText } from './chatThunks.js'

export const TEXT_MAX = 2000
/** Re-send "typing" this often while typing goes on (the peer forgets it after 5 s). */
const TYPING_REFRESH_MS = 3000
/** Say "stopped typing" after this long without a keystroke. */
const TYPING_IDLE_MS = 2500

/**
 * Tells the peer when this user types: "typing" at the first keystroke and
 * every few seconds while it goes on, "stopped" after a pause or a send.
 */
function useTypingNotifier(peerId) {
  const dispatch = useAppDispatch()
  const lastSent = useRef(0)
  const idleTimer = useRef(null)

  const stop = () => {
    clearTimeout(idleTimer.current)
    idleTimer.current = null
    if (lastSent.current) {
      lastSent.current = 0
      dispatch(notifyTyping({ peerId, active: false }))
    }
  }
  const typed = () => {
    const now = Date.now()
    if (now - lastSent.current > TYPING_REFRESH_MS) {
      lastSent.current = now
      dispatch(notifyTyping({ peerId, active: true }))
    }
    clearTimeout(idleTimer.current)
    idleTimer.current = setTimeout(stop, TYPING_IDLE_MS)
  }
  const stopRef = useRef(stop)
  stopRef.current = stop
  useEffect(() => () => stopRef.current(), [peerId])
  return { typed, stop }
}

/** Write and send: text (Enter sends, Shift+Enter breaks the line) and images. */
export function Composer({ peerId, peerName }) {
  const dispatch = useAppDispatch()
  const status = useAppSelector(selectConnectionStatus)
  const [text, setText] = useState('')
  const [error, setError] = useState(null)
  const fileRef = useRef(null)
  const textRef = useRef(null)
  const errorId = useId()
  const { typed, stop } = useTypingNotifier(peerId)
  const length = charCount(text)
  const tooLong = length > TEXT_MAX

  // Opening a conversation puts the cursor in the message box, where a
  // keyboard is at hand (not on touch screens, where it would pop one up).
  useEffect(() => {
    if (globalThis.matchMedia?.('(pointer: fine)').matches) textRef.current?.focus()
  }, [peerId])

  // Grow with the text, up to about six lines.
  useEffect(() => {
    const el = textRef.current
    if (!el) return
    el.style.height = 'auto'
    el.style.height = `${Math.min(el.scrollHeight, 160)}px`
  }, [text])

  const submit = (event) => {
    event?.preventDefault()
    const value = text.trim()
    if (!value) return
    if (tooLong) {
      setError(`Messages can be at most ${TEXT_MAX} characters.`)
      return
    }
    dispatch(sendText({ peerId, text: value }))
    setText('')
    setError(null)
    stop()
    textRef.current?.focus()
  }

  const onKeyDown = (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) submit(event)
  }

  const onPick = async (event) => {
    const file = event.target.files?.[0]
    event.target.value = '' // the same file can be picked again
    if (!file) return
    const check = await checkImageFile(file)
    if (!check.ok) {
      setError(check.error)
      return
    }
    setError(null)
    dispatch(sendImage({ peerId, file }))
  }

  return (
    <div className="border-t border-line p-2 sm:p-3">
      {status === 'offline' || status === 'reconnecting' ? (
        <p className="px-1 pb-1.5 text-xs text-ink-muted">You are offline. What you send now goes out when the connection is back.</p>
      ) : null}
      {error && (
        <p id={errorId} role="alert" className="px-1 pb-1.5 text-sm font-medium text-danger">
          {error}
        </p>
      )}
      <form onSubmit={submit} className="flex items-end gap-2" aria-label={`Send a message to ${peerName}`}>
        <HiddenImageInput ref={fileRef} onPick={onPick} testId="image-input" />
        <Button
          variant="ghost"
          className="px-2.5"
          onClick={() => fileRef.current?.click()}
          aria-label="Send an image"
          title="Send an image (JPEG, PNG, WebP or GIF, up to 5 MB)"
        >
          <ImageIcon />
        </Button>
        <label className="min-w-0 flex-1">
          <span className="sr-only">Message to {peerName}</span>
          <textarea
            ref={textRef}
            rows={1}
            value={text}
            placeholder="Write a message"
            onChange={(event) => {
              setText(event.target.value)
              if (error) setError(null)
              if (event.target.value.trim()) typed()
              else stop()
            }}
            onKeyDown={onKeyDown}
            onBlur={stop}
            aria-invalid={tooLong || undefined}
            aria-describedby={error ? errorId : undefined}
            className={cx(
              'block max-h-40 w-full resize-none rounded-xl border border-control bg-panel px-3 py-2.5 text-base text-ink',
              'placeholder:text-ink-muted aria-invalid:border-danger',
            )}
          />
        </label>
        {length > TEXT_MAX - 200 && (
          <span className={cx('pb-3 text-xs tabular-nums', tooLong ? 'font-semibold text-danger' : 'text-ink-muted')}>
            {TEXT_MAX - length}
          </span>
        )}
        <Button type="submit" className="px-3" aria-label="Send" disabled={!text.trim()}>
          <SendIcon />
        </Button>
      </form>
    </div>
  )
}
