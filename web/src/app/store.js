import { combineReducers, configureStore, createListenerMiddleware } from '@reduxjs/toolkit'
import { api, sessionRejected } from './api.js'
import { connectionReducer } from './connectionSlice.js'
import { createInertRealtime } from './realtime.js'
import { authReducer, loggedIn, loggedOut } from '../features/auth/authSlice.js'
import { persistAuth, watchOtherTabs } from '../features/auth/authStorage.js'
import { chatReducer } from '../features/chat/chatSlice.js'
import { persistOutbox } from '../features/chat/outboxStorage.js'
import { presenceReducer } from '../features/chat/presenceSlice.js'
import { startChatListeners } from '../features/chat/chatListeners.js'
import { callReducer } from '../features/call/callSlice.js'
import { mediaReducer } from '../features/call/mediaSlice.js'

const appReducer = combineReducers({
  auth: authReducer,
  connection: connectionReducer,
  chat: chatReducer,
  presence: presenceReducer,
  call: callReducer,
  media: mediaReducer,
  [api.reducerPath]: api.reducer,
})

function sessionEnds(state, action) {
  if (loggedOut.match(action) || sessionRejected.match(action)) return true
  // Another tab logged in as someone else: this tab follows, with nothing of the previous user.
  return loggedIn.match(action) && Boolean(state?.auth?.token) && state.auth.token !== action.payload.token
}

/**
 * Everything but the session itself starts over when the session ends or
 * changes hands: conversations, presence and calls belong to the user who
 * loaded them. (The RTK Query cache is reset by the listener below, the way
 * RTK Query wants it.)
 */
export function rootReducer(state, action) {
  if (state && sessionEnds(state, action)) {
    state = { auth: state.auth, connection: state.connection, [api.reducerPath]: state[api.reducerPath] }
  }
  return appReducer(state, action)
}

const listener = createListenerMiddleware()
listener.startListening({
  predicate: (action, state, previous) =>
    loggedOut.match(action) ||
    sessionRejected.match(action) ||
    (loggedIn.match(action) && Boolean(previous.auth.token) && previous.auth.token !== state.auth.token),
  effect: (_action, { dispatch }) => {
    dispatch(api.util.resetApiState())
  },
})
startChatListeners(listener.startListening)

/**
 * Builds a store. Tests pass `preloadedState`; without it the session is read
 * back from localStorage. The session, and each user's outbox (messages not
 * acknowledged yet), are written to storage on every change.
 * Thunks get `{realtime}` as their extra argument: the app passes the real
 * connection (realtime.js), tests a fake; the default is never connected.
 *
 * @param {Partial<ReturnType<typeof rootReducer>>} [preloadedState]
 * @param {{storage?: Storage|null, realtime?: object, outboxTabs?: object}} [options]  `storage: null`
 *   disables persistence; `outboxTabs` ({tabs, events}) stands in for the browser's tabs (outboxStorage.js)
 */
export function makeStore(preloadedState, { storage, realtime = createInertRealtime(), outboxTabs } = {}) {
  const store = configureStore({
    reducer: rootReducer,
    preloadedState,
    middleware: (getDefaultMiddleware) =>
      getDefaultMiddleware({ thunk: { extraArgument: { realtime } } })
        .prepend(listener.middleware)
        .concat(api.middleware),
  })
  if (storage !== null) {
    persistAuth(store, storage ?? undefined)
    persistOutbox(store, storage ?? undefined, outboxTabs)
  }
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
