import { useEffect, useId, useRef } from 'react'
import { useNavigate } from 'react-router'
import { skipToken } from '@reduxjs/toolkit/query/react'
import { useAppSelector } from '../../app/hooks.js'
import { Avatar, Button, PhoneDownIcon, VideoIcon } from '../../components/ui/index.js'
import { useCallPeerQuery } from './callApi.js'
import { useCallClient } from './CallClientContext.jsx'
import { selectCall } from './callSlice.js'
import { useRingTone } from './useRingTone.js'

/**
 * Rings over whatever page is open: who is calling, Accept, Decline.
 * Focus moves to Accept and stays inside until the ringing stops, then goes
 * back where it was.
 */
export function IncomingCallDialog() {
  const call = useAppSelector(selectCall)
  const client = useCallClient()
  const navigate = useNavigate()
  const ringing = call.phase === 'incoming' && Boolean(client)
  const { data: peer } = useCallPeerQuery(ringing ? call.peerId : skipToken)
  const titleId = useId()
  const descriptionId = useId()
  const dialogRef = useRef(null)
  const acceptRef = useRef(null)
  useRingTone(ringing)

  useEffect(() => {
    if (!ringing) return undefined
    const previous = document.activeElement
    acceptRef.current?.focus()
    return () => {
      if (previous instanceof HTMLElement && previous.isConnected) previous.focus()
    }
  }, [ringing])

  if (!ringing) return null
  const name = peer?.name ?? 'Someone'

  // Keep Tab inside the dialog (two buttons).
  const onKeyDown = (event) => {
    if (event.key !== 'Tab') return
    const buttons = [...dialogRef.current.querySelectorAll('button')]
    const index = buttons.indexOf(document.activeElement)
    const next = event.shiftKey ? (index <= 0 ? buttons.length - 1 : index - 1) : (index + 1) % buttons.length
    event.preventDefault()
    buttons[next]?.focus()
  }

  const accept = () => {
    client.accept()
    navigate(`/call/${call.peerId}`)
  }

  return (
    <div className="fixed inset-0 z-40 flex items-end justify-center bg-stage/70 p-4 sm:items-center">
      <div
        ref={dialogRef}
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={descriptionId}
        onKeyDown={onKeyDown}
        className="w-full max-w-sm space-y-5 rounded-2xl border border-line bg-panel p-6 text-center shadow-xl"
      >
        <div className="flex flex-col items-center gap-3">
          <Avatar user={peer ?? { name }} size="lg" className="motion-safe:animate-pulse" />
          <h2 id={titleId} className="text-xl font-bold">
            {name}
          </h2>
          <p id={descriptionId} className="text-ink-muted">
            Incoming video call…
          </p>
        </div>
        <div className="grid grid-cols-2 gap-3">
          <Button variant="danger" onClick={() => client.decline()}>
            <PhoneDownIcon />
            Decline
          </Button>
          <Button ref={acceptRef} onClick={accept}>
            <VideoIcon />
            Accept
          </Button>
        </div>
      </div>
    </div>
  )
}
