import { useEffect, useRef } from 'react'
import { Link, useLocation, useNavigate, useParams } from 'react-router'
import { skipToken } from '@reduxjs/toolkit/query/react'
import { useAppDispatch, useAppSelector } from '../../app/hooks.js'
import { Alert, Avatar, Button, Card, VideoIcon, buttonClasses } from '../../components/ui/index.js'
import { useDocumentTitle } from '../../lib/useDocumentTitle.js'
import { describeEnd, isProblem } from './callEndReasons.js'
import { useCallPeerQuery } from './callApi.js'
import { useCallClient, useCallStreams } from './CallClientContext.jsx'
import { CallControls } from './CallControls.jsx'
import { LIVE_PHASES, callDismissed, selectCall } from './callSlice.js'
import { useCallTimer } from './useCallTimer.js'
import { VideoView } from './VideoView.jsx'

const ID_PATTERN = /^[0-9a-f]{24}$/

function statusText(call, name, timer) {
  switch (call.phase) {
    case 'preparing':
      return 'Starting your camera…'
    case 'ringing':
      return `Calling ${name}… ringing`
    case 'incoming':
      return `${name} is calling…`
    case 'accepting':
    case 'connecting':
      return 'Connecting…'
    case 'active':
      return call.reconnecting ? 'Reconnecting…' : timer
    default:
      return ''
  }
}

/** The call in progress: the peer's video, ours in a corner, status and controls. */
function CallScreen({ call, peer, name, client }) {
  const { local, remote } = useCallStreams()
  const timer = useCallTimer(call.connectedAt)
  const connected = call.phase === 'active'
  return (
    <section
      aria-label={`Video call with ${name}`}
      className="relative flex min-h-[26rem] flex-1 flex-col overflow-hidden rounded-2xl bg-stage text-on-stage"
      data-call-phase={call.phase}
    >
      <VideoView stream={remote} label={`Video from ${name}`} className="absolute inset-0 size-full" />
      {!connected && (
        <div className="absolute inset-0 flex flex-col items-center justify-center gap-3 bg-stage/80">
          <Avatar user={peer ?? { name }} size="lg" className="motion-safe:animate-pulse" />
        </div>
      )}
      <div className="relative flex items-start justify-between gap-3 p-3 sm:p-4">
        <div className="min-w-0 rounded-lg bg-stage/60 px-3 py-1.5">
          <h1 className="truncate text-lg font-semibold">{name}</h1>
          <p role="status" className="text-sm tabular-nums" data-testid="call-status">
            {statusText(call, name, timer)}
          </p>
        </div>
        <VideoView
          stream={local}
          muted
          mirrored
          label="Your camera"
          className="aspect-video w-28 shrink-0 rounded-lg ring-2 ring-on-stage/60 sm:w-48"
        />
      </div>
      <div className="relative mt-auto bg-gradient-to-t from-stage/90 to-transparent p-4 pt-10 text-ink">
        <CallControls client={client} />
      </div>
    </section>
  )
}

/** How the call ended, and what to do next. */
function CallEnded({ call, peer, name, peerId, client }) {
  const headingRef = useRef(null)
  const duration = useCallTimer(call.connectedAt, call.endedAt)
  useEffect(() => headingRef.current?.focus(), [])
  const problem = isProblem(call.endReason)
  return (
    <Card className="mx-auto w-full max-w-md space-y-5 text-center" data-call-phase="ended">
      <div className="flex flex-col items-center gap-3">
        <Avatar user={peer ?? { name }} size="lg" />
        <h1 ref={headingRef} tabIndex={-1} className="text-2xl font-bold focus-visible:outline-none">
          Call with {name}
        </h1>
      </div>
      <Alert tone={problem ? 'error' : 'info'} data-testid="call-end-reason" data-reason={call.endReason}>
        {describeEnd(call.endReason, name)}
        {duration && ` Duration ${duration}.`}
      </Alert>
      <div className="flex flex-wrap justify-center gap-3">
        <Button onClick={() => client.place(peerId)}>
          <VideoIcon />
          Call again
        </Button>
        <Link to={`/chat/${peerId}`} className={buttonClasses({ variant: 'secondary' })}>
          Back to chat
        </Link>
      </div>
    </Card>
  )
}

function StartCall({ peer, name, peerId, client }) {
  return (
    <Card className="mx-auto w-full max-w-md space-y-5 text-center">
      <div className="flex flex-col items-center gap-3">
        <Avatar user={peer ?? { name }} size="lg" />
        <h1 className="text-2xl font-bold">Call {name}</h1>
        <p className="text-ink-muted">A video call, with your camera and microphone.</p>
      </div>
      <div className="flex flex-wrap justify-center gap-3">
        <Button onClick={() => client?.place(peerId)} disabled={!client}>
          <VideoIcon />
          Start video call
        </Button>
        <Link to={`/chat/${peerId}`} className={buttonClasses({ variant: 'secondary' })}>
          Back to chat
        </Link>
      </div>
    </Card>
  )
}

/**
 * /call/:peerId. Reached from a call button (its link says start: true, so
 * the call starts at once, and only once: a reload does not call again), or
 * after accepting an incoming call.
 */
export function CallPage() {
  const { peerId } = useParams()
  const valid = ID_PATTERN.test(peerId ?? '')
  const location = useLocation()
  const navigate = useNavigate()
  const dispatch = useAppDispatch()
  const client = useCallClient()
  const call = useAppSelector(selectCall)
  const { data: peer, error: peerError } = useCallPeerQuery(valid ? peerId : skipToken)
  const name = peer?.name ?? 'them'
  const thisCall = call.peerId === peerId && call.phase !== 'idle'
  useDocumentTitle(thisCall && call.phase === 'active' ? `Call with ${name}` : 'Call')

  const startRequested = location.state?.start === true
  useEffect(() => {
    if (!startRequested || !valid || !client) return
    navigate(location.pathname, { replace: true, state: null })
    client.place(peerId)
  }, [startRequested, valid, client, peerId, navigate, location.pathname])

  // An ended call is shown until the user leaves this page.
  useEffect(() => () => dispatch(callDismissed()), [dispatch])

  if (!valid || peerError?.status === 404) {
    return (
      <Card className="mx-auto w-full max-w-md space-y-4">
        <Alert tone="error">{valid ? 'This person does not exist.' : 'This call link is not valid.'}</Alert>
        <Link to="/chat" className={buttonClasses({ variant: 'secondary' })}>
          Back to chat
        </Link>
      </Card>
    )
  }
  if (thisCall && call.phase === 'ended') {
    return <CallEnded call={call} peer={peer} name={name} peerId={peerId} client={client} />
  }
  if (thisCall && (LIVE_PHASES.includes(call.phase) || call.phase === 'incoming')) {
    return <CallScreen call={call} peer={peer} name={name} client={client} />
  }
  if (LIVE_PHASES.includes(call.phase)) {
    return (
      <Card className="mx-auto w-full max-w-md space-y-4">
        <Alert tone="info">You are in another call. Hang up there before calling {name}.</Alert>
        <Link to={`/call/${call.peerId}`} className={buttonClasses()}>
          Back to your call
        </Link>
      </Card>
    )
  }
  return <StartCall peer={peer} name={name} peerId={peerId} client={client} />
}
