import { api } from '../../app/api.js'

export const callApi = api.injectEndpoints({
  endpoints: (build) => ({
    /** STUN/TURN servers with time-limited TURN credentials: fetched fresh for each call. */
    iceServers: build.query({
      query: () => 'calls/ice-servers',
      keepUnusedDataFor: 0,
    }),
    /** Who is on the other end (name and picture for the call screens). */
    callPeer: build.query({
      query: (userId) => `users/${userId}`,
      transformResponse: (response) => response.user,
      providesTags: (_user, _error, userId) => [{ type: 'User', id: userId }],
    }),
  }),
})

export const { useCallPeerQuery } = callApi
