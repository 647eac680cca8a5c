import { api } from '../../app/api.js'

export const SEARCH_LIMIT = 20

export const chatApi = api.injectEndpoints({
  endpoints: (build) => ({
    searchUsers: build.query({
      query: ({ q, limit = SEARCH_LIMIT }) => ({ url: 'users', params: { q, limit } }),
      transformResponse: (response) => response.users ?? [],
      providesTags: (users = []) => [...users.map(({ id }) => ({ type: 'User', id })), { type: 'User', id: 'SEARCH' }],
      keepUnusedDataFor: 30,
    }),
  }),
})

export const { useSearchUsersQuery } = chatApi
