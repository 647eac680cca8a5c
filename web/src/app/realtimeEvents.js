import { createAction } from '@reduxjs/toolkit'

// Actions the realtime module (realtime.js) dispatches. They are named as
// events — what happened on the connection or what the server pushed — so any
// feature can react to them without knowing about the socket.

// The connection's life.
export const realtimeConnecting = createAction('realtime/connecting')
export const realtimeConnected = createAction('realtime/connected')
/** payload: {reason, reconnecting} — `reconnecting` is true while socket.io retries by itself. */
export const realtimeDisconnected = createAction('realtime/disconnected')
/** The browser says the network is gone (window `offline`): we stop retrying until it is back. */
export const realtimeWentOffline = createAction('realtime/wentOffline')
/** Closed on purpose: logout, or no session. */
export const realtimeClosed = createAction('realtime/closed')

// Server pushes (CONTRACT.md, Realtime). Payloads are the server's, unchanged.
/** {message}: a message to this user; the module has already acknowledged it (delivered). */
export const messageReceived = createAction('realtime/messageReceived')
/** {message}: a message this user sent from another tab or device (or a call record they made). */
export const messageSentElsewhere = createAction('realtime/messageSentElsewhere')
/** {messageId, conversationId, deliveredAt} */
export const messageDelivered = createAction('realtime/messageDelivered')
/** {messageId, conversationId, readAt}: that message and every earlier one to the peer are read. */
export const messageReadConfirmed = createAction('realtime/messageReadConfirmed')
/** {from, active}; meta.receivedAt says when, since typing expires 5 s after its last update. */
export const peerTyping = createAction('realtime/peerTyping', (payload) => ({
  payload,
  meta: { receivedAt: Date.now() },
}))
/** {userId, name, avatar} */
export const userCameOnline = createAction('realtime/userCameOnline')
/** `user-updated {user}`: someone changed their name, bio or picture. */
export const userUpdated = createAction('realtime/userUpdated')
/** {userId, lastSeen} */
export const userWentOffline = createAction('realtime/userWentOffline')
