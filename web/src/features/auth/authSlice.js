import { createSlice } from '@reduxjs/toolkit'
import { sessionRejected } from '../../app/api.js'
import { readPersistedAuth } from './authStorage.js'

/**
 * Who is using this client. `token` and `user` are persisted (authStorage.js);
 * `expired` tells the login page to explain why the user is back there.
 */
const emptyState = { token: null, user: null, expired: false }

function initialState() {
  const persisted = readPersistedAuth()
  return persisted ? { ...emptyState, ...persisted } : emptyState
}

const authSlice = createSlice({
  name: 'auth',
  initialState,
  reducers: {
    /** A login, a signup, or a session adopted from another tab. */
    loggedIn(state, { payload }) {
      state.token = payload.token
      state.user = payload.user ?? null
      state.expired = false
    },
    loggedOut() {
      return emptyState
    },
    /** The server sent a fresh copy of the current user (GET /users/me, a profile edit). */
    userUpdated(state, { payload }) {
      if (state.token && payload) state.user = payload
    },
  },
  extraReducers(builder) {
    builder.addCase(sessionRejected, () => ({ ...emptyState, expired: true }))
  },
  selectors: {
    selectToken: (auth) => auth.token,
    selectCurrentUser: (auth) => auth.user,
    selectIsAuthenticated: (auth) => Boolean(auth.token),
    selectSessionExpired: (auth) => auth.expired,
  },
})

export const { loggedIn, loggedOut, userUpdated } = authSlice.actions
export const { selectToken, selectCurrentUser, selectIsAuthenticated, selectSessionExpired } =
  authSlice.selectors
export const authReducer = authSlice.reducer
export default authSlice
