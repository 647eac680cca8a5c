import { fetchBaseQuery } from '@reduxjs/toolkit/query'
import { parseRetryAfter } from './apiError.js'

/**
 * A fetchBaseQuery that
 *  - sends `Authorization: Bearer <token>` when there is a token,
 *  - adds `retryAfter` (seconds) to errors that carry a Retry-After header,
 *  - calls `onUnauthorized(api)` on a 401 to a request that carried the token
 *    that is still current (a 401 on the login form, or for a token that was
 *    replaced meanwhile, is not a reason to end the session).
 *
 * It knows nothing about the store's shape: the caller says where the token is.
 *
 * @param {{baseUrl: string, getToken: (state: any) => string|null,
 *          onUnauthorized: (api: import('@reduxjs/toolkit/query').BaseQueryApi) => void,
 *          timeout?: number}} options
 */
export function createAuthedBaseQuery({ baseUrl, getToken, onUnauthorized, timeout = 15000 }) {
  const rawBaseQuery = fetchBaseQuery({
    baseUrl,
    timeout,
    prepareHeaders(headers, { getState }) {
      const token = getToken(getState())
      if (token) headers.set('Authorization', `Bearer ${token}`)
      headers.set('Accept', 'application/json')
      return headers
    },
  })

  return async function authedBaseQuery(args, api, extraOptions) {
    const tokenUsed = getToken(api.getState())
    const result = await rawBaseQuery(args, api, extraOptions)
    if (!result.error) return result

    const retryAfter = parseRetryAfter(result.meta?.response?.headers.get('Retry-After'))
    if (retryAfter != null) result.error = { ...result.error, retryAfter }

    if (result.error.status === 401 && tokenUsed && getToken(api.getState()) === tokenUsed) {
      onUnauthorized(api)
    }
    return result
  }
}
