// Forcing calls through the TURN relay. Calls normally try direct routes
// first; with the flag set, RTCPeerConnection gets iceTransportPolicy
// 'relay' and only relayed candidates are used. Useful to check a TURN
// server, and used by the relay end-to-end test (web/e2e/relay.test.mjs).
//
//   localStorage.setItem('samwaad.iceTransportPolicy', 'relay')   // in the browser console
//   localStorage.removeItem('samwaad.iceTransportPolicy')         // back to normal

export const ICE_POLICY_KEY = 'samwaad.iceTransportPolicy'

/** @returns {'relay'|'all'} */
export function readIcePolicy(storage = globalThis.localStorage) {
  try {
    return storage?.getItem(ICE_POLICY_KEY) === 'relay' ? 'relay' : 'all'
  } catch {
    return 'all'
  }
}
