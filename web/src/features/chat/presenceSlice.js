import { createAction, createSlice } from '@reduxjs/toolkit'
import { userCameOnline, userWentOffline } from '../../app/realtimeEvents.js'
import { chatApi } from './chatApi.js'

/** The ack of presence-subscribe: [{userId, status, lastSeen}]. */
export const presenceSnapshotReceived = createAction('presence/snapshotReceived')

/**
 * Who is online, and since when the others are not: presence[userId] =
 * {status: 'online'|'offline', lastSeen}. Seeded by what the REST API says
 * about people (conversation peers), kept current by user-online /
 * user-offline and the presence-subscribe snapshot.
 */
const presenceSlice = createSlice({
  name: 'presence',
  initialState: {},
  reducers: {},
  extraReducers(builder) {
    const seed = (state, user) => {
      if (user?.id) state[user.id] = { status: user.status ?? 'offline', lastSeen: user.lastSeen ?? null }
    }
    builder
      .addCase(presenceSnapshotReceived, (state, { payload: users }) => {
        for (const { userId, status, lastSeen } of users ?? []) state[userId] = { status, lastSeen: lastSeen ?? null }
      })
      .addCase(userCameOnline, (state, { payload: { userId } }) => {
        state[userId] = { status: 'online', lastSeen: state[userId]?.lastSeen ?? null }
      })
      .addCase(userWentOffline, (state, { payload: { userId, lastSeen } }) => {
        state[userId] = { status: 'offline', lastSeen: lastSeen ?? null }
      })
      .addMatcher(chatApi.endpoints.getConversations.matchFulfilled, (state, { payload: conversations }) => {
        for (const conversation of conversations) seed(state, conversation.peer)
      })
      .addMatcher(chatApi.endpoints.chatPeer.matchFulfilled, (state, { payload: user }) => seed(state, user))
  },
})

export const presenceReducer = presenceSlice.reducer

export const selectPresenceEntry = (state, userId) => (userId ? state.presence[userId] : undefined)

/** What a REST copy of a user says about their presence, for when no event has said more. */
export function presenceFromUser(user) {
  return user ? { status: user.status ?? 'offline', lastSeen: user.lastSeen ?? null } : null
}
