import { describe, expect, it } from 'vitest'
import { sessionRejected } from '../../app/api.js'
import { makeStore } from '../../app/store.js'
import { aUser } from '../../test/utils.jsx'
import {
  authReducer,
  loggedIn,
  loggedOut,
  selectCurrentUser,
  selectIsAuthenticated,
  selectToken,
  userUpdated,
} from './authSlice.js'
import { STORAGE_KEY, readPersistedAuth, watchOtherTabs } from './authStorage.js'

const empty = { token: null, user: null, expired: false }

describe('authSlice reducers', () => {
  it('starts logged out when nothing is stored', () => {
    expect(authReducer(undefined, { type: 'init' })).toEqual(empty)
  })

  it('loggedIn stores the token and the user', () => {
    const state = authReducer(empty, loggedIn({ token: 'tok-1', user: aUser }))
    expect(state).toEqual({ token: 'tok-1', user: aUser, expired: false })
  })

  it('loggedOut clears everything', () => {
    const state = authReducer({ token: 'tok-1', user: aUser, expired: false }, loggedOut())
    expect(state).toEqual(empty)
  })

  it('a rejected session clears it and remembers why', () => {
    const state = authReducer({ token: 'tok-1', user: aUser, expired: false }, sessionRejected())
    expect(state).toEqual({ ...empty, expired: true })
    expect(authReducer(state, loggedIn({ token: 'tok-2', user: aUser })).expired).toBe(false)
  })

  it('userUpdated replaces the user only while logged in', () => {
    const renamed = { ...aUser, name: 'Asha R.' }
    expect(authReducer({ token: 't', user: aUser, expired: false }, userUpdated(renamed)).user).toEqual(renamed)
    expect(authReducer(empty, userUpdated(renamed))).toEqual(empty)
  })
})

describe('auth persistence', () => {
  it('a new store loads the persisted session', () => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ v: 1, token: 'tok-saved', user: aUser }))
    const state = makeStore().getState()
    expect(selectToken(state)).toBe('tok-saved')
    expect(selectCurrentUser(state)).toEqual(aUser)
    expect(selectIsAuthenticated(state)).toBe(true)
  })

  it.each([
    ['garbage', 'not json{'],
    ['another version', JSON.stringify({ v: 99, token: 't', user: aUser })],
    ['no token', JSON.stringify({ v: 1, token: '', user: aUser })],
  ])('ignores %s in storage', (_label, raw) => {
    localStorage.setItem(STORAGE_KEY, raw)
    expect(selectIsAuthenticated(makeStore().getState())).toBe(false)
  })

  it('writes logins to storage and removes them on logout', () => {
    const store = makeStore()
    store.dispatch(loggedIn({ token: 'tok-1', user: aUser }))
    expect(readPersistedAuth()).toEqual({ token: 'tok-1', user: aUser })
    store.dispatch(loggedOut())
    expect(localStorage.getItem(STORAGE_KEY)).toBeNull()
  })

  it('preloaded state wins over storage', () => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ v: 1, token: 'tok-saved', user: aUser }))
    const store = makeStore({ auth: empty })
    expect(selectIsAuthenticated(store.getState())).toBe(false)
  })

  it('follows logins and logouts of other tabs', () => {
    const target = new EventTarget()
    let token = 'tok-1'
    const events = []
    watchOtherTabs(
      {
        getToken: () => token,
        onLoggedIn: (auth) => events.push(['in', auth.token]),
        onLoggedOut: () => events.push(['out']),
      },
      target,
    )
    const storageEvent = (newValue) => {
      const event = new Event('storage')
      Object.assign(event, { key: STORAGE_KEY, newValue })
      target.dispatchEvent(event)
    }
    storageEvent(JSON.stringify({ v: 1, token: 'tok-1', user: aUser })) // same session: nothing
    storageEvent(null)
    token = null
    storageEvent(JSON.stringify({ v: 1, token: 'tok-2', user: aUser }))
    expect(events).toEqual([['out'], ['in', 'tok-2']])
  })
})
