import { createSlice } from '@reduxjs/toolkit'

/**
 * The one call this user can be in, as the UI sees it. The WebRTC objects
 * live in the call client (callClient.js), which dispatches these events.
 *
 * phase: 'idle'
 *   caller: 'preparing' (camera, offer) → 'ringing' → 'connecting' (answered) → 'active'
 *   callee: 'incoming' (ringing here) → 'accepting' → 'connecting' → 'active'
 *   any → 'ended' (shown until dismissed); an incoming call that ends before
 *   it is accepted goes straight back to 'idle' (it just stops ringing).
 * endReason: see callEndReasons.js.
 */
const initialState = {
  phase: 'idle',
  direction: null,
  callId: null,
  peerId: null,
  video: true,
  connectedAt: null,
  reconnecting: false,
  endReason: null,
  endedAt: null,
}

const callSlice = createSlice({
  name: 'call',
  initialState,
  reducers: {
    outgoingCallStarted(_state, { payload: { peerId, video = true } }) {
      return { ...initialState, phase: 'preparing', direction: 'outgoing', peerId, video }
    },
    outgoingCallRinging(state, { payload: { callId } }) {
      state.callId = callId
      if (state.phase === 'preparing') state.phase = 'ringing'
    },
    incomingCallRang(state, { payload: { callId, peerId, video = true } }) {
      if (state.phase !== 'idle' && state.phase !== 'ended') return
      return { ...initialState, phase: 'incoming', direction: 'incoming', callId, peerId, video }
    },
    incomingCallAccepted(state) {
      if (state.phase === 'incoming') state.phase = 'accepting'
    },
    /** The callee's answer reached the caller (caller), or was taken by the server (callee). */
    callAnswered(state) {
      if (state.phase === 'ringing' || state.phase === 'accepting') state.phase = 'connecting'
    },
    mediaConnected: {
      reducer(state, { payload: { at } }) {
        if (state.phase === 'idle' || state.phase === 'ended' || state.phase === 'incoming') return
        state.phase = 'active'
        state.connectedAt ??= at
        state.reconnecting = false
      },
      prepare: () => ({ payload: { at: Date.now() } }),
    },
    mediaInterrupted(state) {
      if (state.phase === 'active') state.reconnecting = true
    },
    callEnded: {
      reducer(state, { payload: { reason, at } }) {
        if (state.phase === 'idle') return
        if (state.phase === 'incoming') return initialState
        state.phase = 'ended'
        state.endReason = reason
        state.endedAt = at
        state.reconnecting = false
      },
      prepare: ({ reason }) => ({ payload: { reason, at: Date.now() } }),
    },
    callDismissed(state) {
      if (state.phase === 'ended') return initialState
    },
  },
  selectors: {
    selectCall: (call) => call,
    selectCallPhase: (call) => call.phase,
  },
})

export const {
  outgoingCallStarted,
  outgoingCallRinging,
  incomingCallRang,
  incomingCallAccepted,
  callAnswered,
  mediaConnected,
  mediaInterrupted,
  callEnded,
  callDismissed,
} = callSlice.actions
export const { selectCall, selectCallPhase } = callSlice.selectors
export const callReducer = callSlice.reducer

/** Phases in which this user is in a call (the ringing of an incoming call aside). */
export const LIVE_PHASES = ['preparing', 'ringing', 'accepting', 'connecting', 'active']
