import {
  callAnswered,
  callEnded,
  incomingCallAccepted,
  incomingCallRang,
  mediaConnected,
  mediaInterrupted,
  outgoingCallRinging,
  outgoingCallStarted,
} from './callSlice.js'
import { QUALITIES, cameraSwitched, micSwitched, qualityChosen } from './mediaSlice.js'
import { readIcePolicy } from './icePolicy.js'

// One-to-one video calls: WebRTC plus the contract's signalling over the
// realtime connection (signal-offer/answer/ice, call-decline, call-end, and
// the server's call-answered-elsewhere / call-declined-elsewhere). The
// RTCPeerConnection and the streams live here, outside the store; the store
// gets the events the UI needs (callSlice.js, mediaSlice.js).

/** How long ICE may stay 'disconnected' (a network blip) before the call counts as lost. */
const RECONNECT_GRACE_MS = 10000

/** Refusals of signal-offer (ack error codes) → why the call ended. */
const OFFER_REFUSALS = { offline: 'offline', busy: 'busy', forbidden: 'forbidden', conflict: 'in-call' }

/** call-end reasons from the server → why the call ended, for this side. */
const END_REASONS = { hangup: 'remote-hangup', declined: 'declined', timeout: 'timeout', disconnected: 'disconnected' }

function mediaErrorReason(error) {
  if (error?.name === 'NotAllowedError' || error?.name === 'SecurityError') return 'media-denied'
  if (error?.name === 'NotFoundError' || error?.name === 'OverconstrainedError') return 'no-device'
  return 'failed'
}

export function videoConstraints(quality) {
  const { width, height, frameRate } = QUALITIES[quality] ?? QUALITIES.hd
  return { width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: frameRate } }
}

const ignore = () => {}

/**
 * @param {{store: {dispatch: Function, getState: Function, subscribe: Function},
 *          realtime: ReturnType<import('../../app/realtime.js').createRealtime>,
 *          getIceServers: () => Promise<RTCIceServer[]>,
 *          mediaDevices?: MediaDevices, PeerConnection?: typeof RTCPeerConnection,
 *          icePolicy?: () => 'all'|'relay', target?: EventTarget|null}} deps
 */
export function createCallClient({
  store,
  realtime,
  getIceServers,
  mediaDevices = globalThis.navigator?.mediaDevices,
  PeerConnection = globalThis.RTCPeerConnection,
  icePolicy = readIcePolicy,
  target = globalThis.window ?? null,
}) {
  const { dispatch, getState } = store
  /** The one call: {peerId, role, callId, pc, localStream, remoteStream, offerSdp, answered, haveRemote, remoteCandidates, localCandidates, graceTimer} */
  let session = null
  let streams = { local: null, remote: null }
  const listeners = new Set()

  function publishStreams() {
    streams = { local: session?.localStream ?? null, remote: session?.remoteStream ?? null }
    for (const listener of listeners) listener()
  }

  const isCurrent = (s) => s !== null && s === session
  const matches = (payload) => Boolean(session && payload?.callId && payload.callId === session.callId)

  function release(s) {
    clearTimeout(s.graceTimer)
    if (s.pc) {
      s.pc.onicecandidate = null
      s.pc.ontrack = null
      s.pc.onconnectionstatechange = null
      s.pc.close()
    }
    for (const track of s.localStream?.getTracks() ?? []) track.stop()
  }

  /** Ends the call here (the server has been told, or already knows). */
  function finish(reason) {
    const s = session
    if (!s) return
    session = null
    release(s)
    publishStreams()
    dispatch(callEnded({ reason }))
  }

  function sendIce(s, candidate) {
    realtime.emit('signal-ice', { to: s.peerId, candidate, callId: s.callId }).catch(ignore)
  }

  async function addRemoteCandidate(s, candidate) {
    try {
      await s.pc.addIceCandidate(candidate)
    } catch {
      // A candidate the browser cannot use (another address family): others will do.
    }
  }

  async function drainRemoteCandidates(s) {
    const queued = s.remoteCandidates.splice(0)
    for (const candidate of queued) await addRemoteCandidate(s, candidate)
  }

  function applyTrackSwitches(s) {
    const { micOn, cameraOn } = getState().media
    for (const track of s.localStream?.getAudioTracks() ?? []) track.enabled = micOn
    for (const track of s.localStream?.getVideoTracks() ?? []) track.enabled = cameraOn
  }

  async function applySendQuality(s) {
    const quality = QUALITIES[getState().media.quality] ?? QUALITIES.hd
    const sender = s.pc?.getSenders?.().find((candidate) => candidate.track?.kind === 'video')
    if (!sender?.getParameters) return
    try {
      const parameters = sender.getParameters()
      if (!parameters.encodings?.length) return // not negotiated yet: applied again once connected
      parameters.encodings[0].maxBitrate = quality.maxBitrate
      await sender.setParameters(parameters)
    } catch {
      // Some browsers refuse while renegotiating; the camera constraints still apply.
    }
  }

  function onConnectionState(s) {
    if (!isCurrent(s)) return
    const state = s.pc.connectionState
    if (state === 'connected') {
      clearTimeout(s.graceTimer)
      s.graceTimer = null
      dispatch(mediaConnected())
      applySendQuality(s)
    } else if (state === 'disconnected') {
      dispatch(mediaInterrupted())
      clearTimeout(s.graceTimer)
      s.graceTimer = setTimeout(() => isCurrent(s) && endBecause(s, 'connection-lost'), RECONNECT_GRACE_MS)
    } else if (state === 'failed') {
      endBecause(s, 'connection-lost')
    }
  }

  /** Ends the call from this side for a reason other than the user's hang-up. */
  function endBecause(s, reason) {
    if (s.callId) realtime.emit('call-end', { to: s.peerId, callId: s.callId }).catch(ignore)
    finish(reason)
  }

  /** Camera and microphone, then a peer connection carrying them. */
  async function prepare(s) {
    if (!mediaDevices?.getUserMedia || !PeerConnection) throw Object.assign(new Error('no WebRTC'), { name: 'NotFoundError' })
    const quality = getState().media.quality
    const localStream = await mediaDevices.getUserMedia({ audio: true, video: videoConstraints(quality) })
    if (!isCurrent(s)) {
      for (const track of localStream.getTracks()) track.stop()
      return false
    }
    s.localStream = localStream
    applyTrackSwitches(s)
    publishStreams()

    let iceServers = []
    try {
      iceServers = await getIceServers()
    } catch {
      // Without the list, host candidates still connect on one network.
    }
    if (!isCurrent(s)) return false
    const pc = new PeerConnection({ iceServers, iceTransportPolicy: icePolicy() })
    s.pc = pc
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate || !isCurrent(s)) return
      const init = typeof candidate.toJSON === 'function' ? candidate.toJSON() : candidate
      // The caller learns its callId from the offer's ack: candidates found
      // before that wait for it.
      if (s.callId) sendIce(s, init)
      else s.localCandidates.push(init)
    }
    pc.ontrack = ({ streams: [stream], track }) => {
      if (!isCurrent(s)) return
      if (stream) s.remoteStream = stream
      else {
        s.remoteStream ??= new MediaStream()
        s.remoteStream.addTrack(track)
      }
      publishStreams()
    }
    pc.onconnectionstatechange = () => onConnectionState(s)
    for (const track of localStream.getTracks()) pc.addTrack(track, localStream)
    return true
  }

  function newSession(fields) {
    return { callId: null, pc: null, localStream: null, remoteStream: null, answered: false, haveRemote: false,
      remoteCandidates: [], localCandidates: [], graceTimer: null, ...fields }
  }

  // ---- the caller's side

  async function place(peerId) {
    if (session) return
    const s = newSession({ peerId, role: 'caller' })
    session = s
    dispatch(outgoingCallStarted({ peerId, video: true }))
    // No signalling, no call: say so before turning the camera on.
    if (!realtime.isConnected()) {
      finish('not-connected')
      return
    }
    try {
      if (!(await prepare(s))) return
      const offer = await s.pc.createOffer()
      await s.pc.setLocalDescription(offer)
      if (!isCurrent(s)) return
      let ack
      try {
        ack = await realtime.emit('signal-offer', { to: peerId, sdp: offer.sdp, media: { video: true } })
      } catch (error) {
        if (isCurrent(s)) finish(error?.code === 'offline' ? 'not-connected' : 'failed')
        return
      }
      if (!isCurrent(s)) {
        // Hung up while the offer was on its way: end the call it started.
        if (ack?.ok) realtime.emit('call-end', { to: peerId, callId: ack.callId }).catch(ignore)
        return
      }
      if (!ack?.ok) {
        finish(OFFER_REFUSALS[ack?.error?.code] ?? 'failed')
        return
      }
      s.callId = ack.callId
      dispatch(outgoingCallRinging({ callId: ack.callId }))
      for (const candidate of s.localCandidates.splice(0)) sendIce(s, candidate)
    } catch (error) {
      if (isCurrent(s)) endBecause(s, mediaErrorReason(error))
    }
  }

  async function onAnswer({ sdp, callId }) {
    const s = session
    if (!s || s.role !== 'caller' || s.callId !== callId || s.haveRemote) return
    try {
      await s.pc.setRemoteDescription({ type: 'answer', sdp })
      if (!isCurrent(s)) return
      s.haveRemote = true
      s.answered = true
      dispatch(callAnswered())
      await drainRemoteCandidates(s)
    } catch {
      if (isCurrent(s)) endBecause(s, 'failed')
    }
  }

  // ---- the callee's side

  function onOffer({ from, sdp, callId, media }) {
    // One call at a time; the server refuses offers to someone in a call
    // (busy), so an offer now is a renegotiation this client never starts.
    if (session || !from || !callId) return
    session = newSession({ peerId: from, role: 'callee', callId, offerSdp: sdp })
    dispatch(incomingCallRang({ callId, peerId: from, video: media?.video !== false }))
  }

  async function accept() {
    const s = session
    if (!s || s.role !== 'callee' || s.answered || getState().call.phase !== 'incoming') return
    dispatch(incomingCallAccepted())
    try {
      if (!(await prepare(s))) return
      await s.pc.setRemoteDescription({ type: 'offer', sdp: s.offerSdp })
      s.haveRemote = true
      await drainRemoteCandidates(s)
      const answer = await s.pc.createAnswer()
      await s.pc.setLocalDescription(answer)
      if (!isCurrent(s)) return
      let ack
      try {
        ack = await realtime.emit('signal-answer', { to: s.peerId, sdp: answer.sdp, callId: s.callId })
      } catch (error) {
        if (isCurrent(s)) finish(error?.code === 'offline' ? 'not-connected' : 'failed')
        return
      }
      if (!isCurrent(s)) return
      if (!ack?.ok) {
        finish(ack?.error?.code === 'conflict' ? 'missed' : 'failed')
        return
      }
      s.answered = true
      dispatch(callAnswered())
    } catch (error) {
      if (!isCurrent(s)) return
      // Not answered yet: decline, so the caller hears why at once.
      realtime.emit('call-decline', { to: s.peerId, callId: s.callId, reason: 'unavailable' }).catch(ignore)
      finish(mediaErrorReason(error))
    }
  }

  function decline() {
    const s = session
    if (!s || s.role !== 'callee' || s.answered) return
    realtime.emit('call-decline', { to: s.peerId, callId: s.callId, reason: 'declined' }).catch(ignore)
    finish('hangup')
  }

  // ---- both sides

  function hangUp() {
    const s = session
    if (!s) return
    if (s.role === 'callee' && !s.answered && getState().call.phase === 'incoming') {
      decline()
      return
    }
    if (s.callId) realtime.emit('call-end', { to: s.peerId, callId: s.callId }).catch(ignore)
    finish('hangup')
  }

  function onIce({ candidate, callId }) {
    const s = session
    if (!s || s.callId !== callId || !candidate) return
    if (s.pc && s.haveRemote) addRemoteCandidate(s, candidate)
    else s.remoteCandidates.push(candidate)
  }

  function setMic(on) {
    dispatch(micSwitched(on))
    if (session) applyTrackSwitches(session)
  }

  function setCamera(on) {
    dispatch(cameraSwitched(on))
    if (session) applyTrackSwitches(session)
  }

  async function setQuality(quality) {
    dispatch(qualityChosen(quality))
    const s = session
    const track = s?.localStream?.getVideoTracks()[0]
    if (!track) return
    try {
      await track.applyConstraints(videoConstraints(quality))
    } catch {
      // The camera cannot do it: the bitrate cap below still lowers what is sent.
    }
    if (isCurrent(s)) await applySendQuality(s)
  }

  const unsubscribers = [
    realtime.on('signal-offer', onOffer),
    realtime.on('signal-answer', onAnswer),
    realtime.on('signal-ice', onIce),
    realtime.on('call-decline', (payload) => matches(payload) && finish('declined')),
    realtime.on('call-end', (payload) => matches(payload) && finish(END_REASONS[payload.reason] ?? 'remote-hangup')),
    realtime.on('call-answered-elsewhere', (payload) => matches(payload) && finish('answered-elsewhere')),
    realtime.on('call-declined-elsewhere', (payload) => matches(payload) && finish('declined-elsewhere')),
  ]

  // The server ends a call whose socket drops, and a logout ends everything.
  let lastStatus = getState().connection?.status
  let lastToken = getState().auth?.token
  unsubscribers.push(
    store.subscribe(() => {
      const { connection, auth } = getState()
      const dropped = lastStatus === 'online' && connection?.status !== 'online'
      const loggedOut = lastToken && lastToken !== auth?.token
      lastStatus = connection?.status
      lastToken = auth?.token
      if (session && (dropped || loggedOut)) finish('disconnected')
    }),
  )

  // Leaving the page hangs up properly instead of leaving the peer to time out.
  const onPageHide = () => hangUp()
  target?.addEventListener?.('pagehide', onPageHide)
  unsubscribers.push(() => target?.removeEventListener?.('pagehide', onPageHide))

  return {
    place,
    accept,
    decline,
    hangUp,
    setMic,
    setCamera,
    setQuality,
    /** For useSyncExternalStore: the local and remote MediaStreams. */
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    getStreams: () => streams,
    dispose() {
      for (const unsubscribe of unsubscribers) unsubscribe()
      if (session) finish('hangup')
    },
  }
}
