import { api } from '../../app/api.js'
import { loggedIn, loggedOut, userUpdated } from './authSlice.js'

async function startSession(_arg, { dispatch, queryFulfilled }) {
  try {
    const { data } = await queryFulfilled
    dispatch(loggedIn({ token: data.token, user: data.user }))
  } catch {
    // The form shows the error from the mutation's result.
  }
}

export const authApi = api.injectEndpoints({
  endpoints: (build) => ({
    signup: build.mutation({
      query: ({ name, email, password }) => ({
        url: 'auth/signup',
        method: 'POST',
        body: { name, email, password },
      }),
      onQueryStarted: startSession,
    }),
    login: build.mutation({
      query: ({ email, password }) => ({ url: 'auth/login', method: 'POST', body: { email, password } }),
      onQueryStarted: startSession,
    }),
    logout: build.mutation({
      query: () => ({ url: 'auth/logout', method: 'POST' }),
      // Log out locally whatever the server says: offline, or already revoked.
      async onQueryStarted(_arg, { dispatch, queryFulfilled }) {
        try {
          await queryFulfilled
        } catch {
          // ignored on purpose
        } finally {
          dispatch(loggedOut())
        }
      },
    }),
    me: build.query({
      query: () => 'users/me',
      providesTags: ['Me'],
      async onQueryStarted(_arg, { dispatch, queryFulfilled }) {
        try {
          const { data } = await queryFulfilled
          dispatch(userUpdated(data.user))
        } catch {
          // A 401 ends the session in the base query; other errors keep the cached user.
        }
      },
    }),
  }),
})

export const { useSignupMutation, useLoginMutation, useLogoutMutation, useMeQuery } = authApi
