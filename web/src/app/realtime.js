import { io as defaultIo } from 'socket.io-client'
import { sessionRejected } from './api.js'
import * as events from './realtimeEvents.js'

// The one realtime connection (socket.io-client), and the only module that
// touches it. It follows the session in the store — connects with the token
// in the handshake, reconnects with a new token, closes on logout — and turns
// what the server pushes into actions (realtimeEvents.js). Features talk back
// through `emit` (with the server's ack) and `send` (fire and forget); the call
// client subscribes to signalling with `on`, because SDP and ICE candidates
// are not application state.

/** Server pushes that become Redux actions. */
const PUSHED_EVENTS = {
  'message-received': events.messageReceived,
  'message-sent': events.messageSentElsewhere,
  'message-delivered': events.messageDelivered,
  'message-read-confirm': events.messageReadConfirmed,
  typing: events.peerTyping,
  'user-online': events.userCameOnline,
  'user-offline': events.userWentOffline,
  'user-updated': events.userUpdated,
}

/** Call signalling, handed to subscribers as it arrives. */
export const SIGNAL_EVENTS = [
  'signal-offer',
  'signal-answer',
  'signal-ice',
  'call-decline',
  'call-end',
  'call-answered-elsewhere',
  'call-declined-elsewhere',
]

export class RealtimeError extends Error {
  /** @param {'offline'|'timeout'} code */
  constructor(code, message) {
    super(message ?? code)
    this.name = 'RealtimeError'
    this.code = code
  }
}

/**
 * @param {{url?: string, io?: typeof defaultIo, target?: EventTarget|null, ackTimeoutMs?: number}} [options]
 *   `io` and `target` (the window, for online/offline) are replaceable in tests.
 */
export function createRealtime({ url, io = defaultIo, target = globalThis.window ?? null, ackTimeoutMs = 10000 } = {}) {
  let store = null
  let socket = null
  let token = null
  const subscribers = new Map(SIGNAL_EVENTS.map((name) => [name, new Set()]))

  const dispatch = (action) => store?.dispatch(action)

  function listen(s) {
    s.on('connect', () => dispatch(events.realtimeConnected()))
    s.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') return // we closed it, and said why
      if (reason === 'io server disconnect') {
        // The server ended this socket: its session was revoked (a logout in
        // another tab) or the server is shutting down. socket.io does not retry
        // after that, so try once: a revoked token comes back as
        // connect_error "unauthorized" and ends the session here as well.
        dispatch(events.realtimeDisconnected({ reason, reconnecting: true }))
        s.connect()
        return
      }
      dispatch(events.realtimeDisconnected({ reason, reconnecting: s.active }))
    })
    s.on('connect_error', (error) => {
      if (error?.message === 'unauthorized') dispatch(sessionRejected())
      // Anything else is a transport failure socket.io retries by itself.
    })
    for (const [name, actionCreator] of Object.entries(PUSHED_EVENTS)) {
      s.on(name, (payload, ack) => {
        dispatch(actionCreator(payload))
        // message-received asks for an ack: it means "delivered", and the
        // message is in the store by now.
        if (typeof ack === 'function') ack()
      })
    }
    for (const name of SIGNAL_EVENTS) {
      s.on(name, (payload) => {
        for (const handler of subscribers.get(name)) handler(payload)
      })
    }
  }

  function teardown() {
    if (!socket) return
    socket.removeAllListeners()
    socket.disconnect()
    socket = null
    token = null
  }

  function open(nextToken) {
    teardown()
    token = nextToken
    // forceNew: a new token must mean a new handshake, never a cached manager.
    socket = io(url, {
      auth: { token: nextToken },
      autoConnect: false,
      forceNew: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
    })
    listen(socket)
    // No look at navigator.onLine here: it is false on a machine whose only
    // network is loopback, where a local server is still reachable.
    dispatch(events.realtimeConnecting())
    socket.connect()
  }

  function close() {
    if (!socket) return
    teardown()
    dispatch(events.realtimeClosed())
  }

  // When the browser says the network went away, it knows long before a
  // heartbeat times out: stop retrying while it lasts (no failed attempts),
  // resume at once when it is back.
  function onOffline() {
    if (!socket) return
    socket.disconnect()
    dispatch(events.realtimeWentOffline())
  }
  function onOnline() {
    if (!socket || socket.connected) return
    dispatch(events.realtimeConnecting())
    socket.connect()
  }

  return {
    /** Follows the session in `appStore`; returns a function that stops everything. */
    start(appStore) {
      store = appStore
      const follow = () => {
        const next = appStore.getState().auth?.token ?? null
        if (next === token) return
        if (next) open(next)
        else close()
      }
      follow()
      const unsubscribe = appStore.subscribe(follow)
      target?.addEventListener?.('offline', onOffline)
      target?.addEventListener?.('online', onOnline)
      return () => {
        unsubscribe()
        target?.removeEventListener?.('offline', onOffline)
        target?.removeEventListener?.('online', onOnline)
        close()
        store = null
      }
    },

    isConnected: () => Boolean(socket?.connected),

    /**
     * Emits with an ack and resolves with the server's answer ({ok, ...}).
     * Rejects with RealtimeError 'offline' at once when not connected (never
     * buffered: the caller decides what waits), or 'timeout'.
     */
    async emit(event, payload, { timeout = ackTimeoutMs } = {}) {
      if (!socket?.connected) throw new RealtimeError('offline', `not connected: ${event} not sent`)
      try {
        return await socket.timeout(timeout).emitWithAck(event, payload)
      } catch {
        throw new RealtimeError('timeout', `no answer to ${event}`)
      }
    },

    /** Fire and forget (typing): dropped when not connected, never queued. */
    send(event, payload) {
      if (socket?.connected) socket.volatile.emit(event, payload)
    },

    /** Subscribes to one of SIGNAL_EVENTS; returns the unsubscribe function. */
    on(event, handler) {
      const set = subscribers.get(event)
      if (!set) throw new Error(`not a signalling event: ${event}`)
      set.add(handler)
      return () => set.delete(handler)
    },
  }
}

/** A realtime that is never connected: the default for stores built in tests. */
export function createInertRealtime() {
  return {
    start: () => () => {},
    isConnected: () => false,
    emit: async (event) => {
      throw new RealtimeError('offline', `not connected: ${event} not sent`)
    },
    send: () => {},
    on: () => () => {},
  }
}
