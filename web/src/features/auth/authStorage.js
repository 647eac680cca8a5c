// Keeps {token, user} in localStorage so a session survives a reload, and
// follows logins/logouts made in other tabs.

export const STORAGE_KEY = 'samwaad.auth'
const VERSION = 1

export function defaultStorage() {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null // storage disabled (privacy settings)
  }
}

/** @returns {{token: string, user: object|null} | null} */
export function readPersistedAuth(storage = defaultStorage()) {
  if (!storage) return null
  try {
    return decode(storage.getItem(STORAGE_KEY))
  } catch {
    return null
  }
}

function decode(raw) {
  if (!raw) return null
  try {
    const data = JSON.parse(raw)
    if (data?.v !== VERSION || typeof data.token !== 'string' || !data.token) return null
    const user = data.user && typeof data.user === 'object' ? data.user : null
    return { token: data.token, user }
  } catch {
    return null
  }
}

function encode(auth) {
  return auth.token ? JSON.stringify({ v: VERSION, token: auth.token, user: auth.user }) : null
}

function write(storage, value) {
  try {
    if (value === null) storage.removeItem(STORAGE_KEY)
    else storage.setItem(STORAGE_KEY, value)
  } catch {
    // Quota exceeded or storage disabled: the session just won't survive a reload.
  }
}

/** Writes the auth slice to storage whenever token or user change. */
export function persistAuth(store, storage = defaultStorage()) {
  if (!storage) return () => {}
  let last = store.getState().auth
  let lastWritten = encode(last)
  return store.subscribe(() => {
    const auth = store.getState().auth
    if (auth === last) return
    last = auth
    const value = encode(auth)
    if (value === lastWritten) return
    lastWritten = value
    write(storage, value)
  })
}

/**
 * Follows the session of other tabs: a logout there logs this tab out, a login
 * there (a different token) is adopted here.
 *
 * @param {{onLoggedIn: (auth: {token: string, user: object|null}) => void, onLoggedOut: () => void,
 *          getToken: () => string|null}} handlers
 */
export function watchOtherTabs({ getToken, onLoggedIn, onLoggedOut }, target = globalThis.window) {
  if (!target?.addEventListener) return () => {}
  const onStorage = (event) => {
    if (event.key !== STORAGE_KEY && event.key !== null) return
    const next = decode(event.newValue)
    const current = getToken()
    if (!next && current) onLoggedOut()
    else if (next && next.token !== current) onLoggedIn(next)
  }
  target.addEventListener('storage', onStorage)
  return () => target.removeEventListener('storage', onStorage)
}
