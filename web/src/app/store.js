import { combineReducers, configureStore, createListenerMiddleware, isAnyOf } from '@reduxjs/toolkit'
import { api, sessionRejected } from './api.js'
import { authReducer, loggedIn, loggedOut } from '../features/auth/authSlice.js'
import { persistAuth, watchOtherTabs } from '../features/auth/authStorage.js'

export const rootReducer = combineReducers({
  auth: authReducer,
  [api.reducerPath]: api.reducer,
})

// Cached server data belongs to the user who fetched it: drop it when the
// session ends or changes hands.
const sessionListener = createListenerMiddleware()
sessionListener.startListening({
  matcher: isAnyOf(loggedOut, sessionRejected),
  effect: (_action, { dispatch }) => {
    dispatch(api.util.resetApiState())
  },
})
sessionListener.startListening({
  predicate: (action, state, previous) =>
    loggedIn.match(action) && Boolean(previous.auth.token) && previous.auth.token !== state.auth.token,
  effect: (_action, { dispatch }) => {
    dispatch(api.util.resetApiState())
  },
})

/**
 * Builds a store. Tests pass `preloadedState`; without it the session is read
 * back from localStorage. The session is written to storage on every change.
 *
 * @param {Partial<ReturnType<typeof rootReducer>>} [preloadedState]
 * @param {{storage?: Storage|null}} [options]  `storage: null` disables persistence
 */
export function makeStore(preloadedState, { storage } = {}) {
  const store = configureStore({
    reducer: rootReducer,
    preloadedState,
    middleware: (getDefaultMiddleware) =>
      getDefaultMiddleware().prepend(sessionListener.middleware).concat(api.middleware),
  })
  if (storage !== null) persistAuth(store, storage ?? undefined)
  return store
}

/** Keeps this tab's session in step with the other tabs (browser only). */
export function followOtherTabs(store) {
  return watchOtherTabs({
    getToken: () => store.getState().auth.token,
    onLoggedIn: (auth) => store.dispatch(loggedIn(auth)),
    onLoggedOut: () => store.dispatch(loggedOut()),
  })
}
