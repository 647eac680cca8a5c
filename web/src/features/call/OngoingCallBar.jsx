import { Link, useLocation } from 'react-router'
import { skipToken } from '@reduxjs/toolkit/query/react'
import { useAppSelector } from '../../app/hooks.js'
import { VideoIcon } from '../../components/ui/index.js'
import { useCallPeerQuery } from './callApi.js'
import { LIVE_PHASES, selectCall } from './callSlice.js'
import { useCallTimer } from './useCallTimer.js'

/** While in a call on another page: a bar back to it. */
export function OngoingCallBar() {
  const call = useAppSelector(selectCall)
  const { pathname } = useLocation()
  const live = LIVE_PHASES.includes(call.phase) && pathname !== `/call/${call.peerId}`
  const { data: peer } = useCallPeerQuery(live ? call.peerId : skipToken)
  const timer = useCallTimer(call.connectedAt)
  if (!live) return null
  return (
    <div className="bg-accent text-on-accent">
      <Link to={`/call/${call.peerId}`} className="mx-auto flex max-w-5xl items-center justify-center gap-2 px-4 py-2 text-sm font-semibold">
        <VideoIcon className="size-4" />
        Return to your call with {peer?.name ?? '…'}
        {timer && <span className="tabular-nums">· {timer}</span>}
      </Link>
    </div>
  )
}
