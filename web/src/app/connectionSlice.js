import { createSlice } from '@reduxjs/toolkit'
import {
  realtimeClosed,
  realtimeConnected,
  realtimeConnecting,
  realtimeDisconnected,
  realtimeWentOffline,
} from './realtimeEvents.js'

/**
 * The state of the one realtime connection, for banners and for code that
 * must not wait on a socket that is down.
 *
 * status: 'idle' (no session) → 'connecting' → 'online'; then 'reconnecting'
 * while socket.io retries, or 'offline' while the browser has no network.
 * `everConnected` tells a first connect apart from a reconnect.
 */
const initialState = { status: 'idle', everConnected: false }

const connectionSlice = createSlice({
  name: 'connection',
  initialState,
  reducers: {},
  extraReducers(builder) {
    builder
      .addCase(realtimeConnecting, (state) => {
        state.status = state.everConnected ? 'reconnecting' : 'connecting'
      })
      .addCase(realtimeConnected, (state) => {
        state.status = 'online'
        state.everConnected = true
      })
      .addCase(realtimeDisconnected, (state, { payload }) => {
        state.status = payload?.reconnecting === false ? 'offline' : 'reconnecting'
      })
      .addCase(realtimeWentOffline, (state) => {
        state.status = 'offline'
      })
      .addCase(realtimeClosed, () => initialState)
  },
  selectors: {
    selectConnectionStatus: (connection) => connection.status,
    selectIsOnline: (connection) => connection.status === 'online',
  },
})

export const { selectConnectionStatus, selectIsOnline } = connectionSlice.selectors
export const connectionReducer = connectionSlice.reducer
