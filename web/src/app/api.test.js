import { describe, expect, it } from 'vitest'
import { waitFor } from '@testing-library/react'
import { authApi } from '../features/auth/authApi.js'
import { makeStore } from './store.js'
import { aUser, jsonResponse, stubFetch } from '../test/utils.jsx'

const signedIn = { auth: { token: 'tok-1', user: aUser, expired: false } }

describe('the API base query', () => {
  it('sends the bearer token to /api/v1', async () => {
    const fetch = stubFetch({ 'GET /api/v1/users/me': () => jsonResponse(200, { user: { ...aUser, name: 'Fresh' } }) })
    const store = makeStore(signedIn)
    await store.dispatch(authApi.endpoints.me.initiate())
    const [request] = fetch.requests
    expect(request.path).toBe('/api/v1/users/me')
    expect(request.headers.get('Authorization')).toBe('Bearer tok-1')
    expect(store.getState().auth.user.name).toBe('Fresh')
  })

  it('ends the session on a 401', async () => {
    stubFetch({
      'GET /api/v1/users/me': () => jsonResponse(401, { error: { code: 'unauthorized', message: 'token revoked' } }),
    })
    const store = makeStore(signedIn)
    await store.dispatch(authApi.endpoints.me.initiate())
    await waitFor(() => expect(store.getState().auth).toEqual({ token: null, user: null, expired: true }))
  })

  it('does not end anything on a 401 without a token (a failed login)', async () => {
    const fetch = stubFetch({
      'POST /api/v1/auth/login': () => jsonResponse(401, { error: { code: 'unauthorized', message: 'wrong email or password' } }),
    })
    const store = makeStore()
    const result = await store.dispatch(authApi.endpoints.login.initiate({ email: 'a@b.co', password: 'x' }))
    expect(fetch.requests[0].headers.has('Authorization')).toBe(false)
    expect(result.error.status).toBe(401)
    expect(store.getState().auth.expired).toBe(false)
  })

  it('adds Retry-After to the error', async () => {
    stubFetch({
      'POST /api/v1/auth/login': () =>
        jsonResponse(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'Retry-After': '42' }),
    })
    const store = makeStore()
    const result = await store.dispatch(authApi.endpoints.login.initiate({ email: 'a@b.co', password: 'x' }))
    expect(result.error.retryAfter).toBe(42)
  })

  it('logs out locally even when the server cannot be reached', async () => {
    stubFetch({
      'POST /api/v1/auth/logout': () => {
        throw new TypeError('Failed to fetch')
      },
    })
    const store = makeStore(signedIn)
    await store.dispatch(authApi.endpoints.logout.initiate())
    await waitFor(() => expect(store.getState().auth.token).toBeNull())
  })
})
