import { createAction } from '@reduxjs/toolkit'
import { createApi } from '@reduxjs/toolkit/query/react'
import { createAuthedBaseQuery } from '../lib/authedBaseQuery.js'

/** Same-origin REST base; `npm run dev` proxies it to the server. */
export const API_BASE = '/api/v1'

// fetch() needs an absolute URL outside the browser (tests run in Node), and
// the browser resolves it the same way.
function apiBaseUrl() {
  const origin = globalThis.location?.origin
  return origin && origin !== 'null' ? `${origin}${API_BASE}` : API_BASE
}

/** Dispatched when the server refuses the current token (expired, revoked). */
export const sessionRejected = createAction('api/sessionRejected')

/**
 * The one RTK Query API. Features add their endpoints with
 * `api.injectEndpoints` in their own `*Api.js` file.
 */
export const api = createApi({
  reducerPath: 'api',
  baseQuery: createAuthedBaseQuery({
    baseUrl: apiBaseUrl(),
    getToken: (state) => state.auth?.token ?? null,
    onUnauthorized: ({ dispatch }) => dispatch(sessionRejected()),
  }),
  tagTypes: ['Me', 'User', 'Conversations'],
  endpoints: () => ({}),
})
