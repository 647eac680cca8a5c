import { api } from '../../app/api.js'

export const SEARCH_LIMIT = 20
export const CONVERSATIONS_LIMIT = 100
export const MESSAGES_PAGE = 50

export const chatApi = api.injectEndpoints({
  endpoints: (build) => ({
    searchUsers: build.query({
      query: ({ q, limit = SEARCH_LIMIT }) => ({ url: 'users', params: { q, limit } }),
      transformResponse: (response) => response.users ?? [],
      providesTags: (users = []) => [...users.map(({ id }) => ({ type: 'User', id })), { type: 'User', id: 'SEARCH' }],
      keepUnusedDataFor: 30,
    }),
    /** The peer of a conversation that does not exist yet (opened from search). */
    chatPeer: build.query({
      query: (userId) => `users/${userId}`,
      transformResponse: (response) => response.user,
      providesTags: (_user, _error, userId) => [{ type: 'User', id: userId }],
    }),
    /** Most recent first. Socket pushes patch this cache (chatListeners.js). */
    getConversations: build.query({
      query: () => ({ url: 'conversations', params: { limit: CONVERSATIONS_LIMIT } }),
      transformResponse: (response) => response.conversations ?? [],
      providesTags: ['Conversations'],
    }),
    /**
     * One page of a conversation, oldest first. The thunks merge pages into
     * the chat slice (one timeline per peer), so nothing is cached here.
     */
    getMessages: build.query({
      query: ({ conversationId, before, after, limit = MESSAGES_PAGE }) => ({
        url: `messages/${conversationId}`,
        params: { limit, before, after },
      }),
      keepUnusedDataFor: 0,
    }),
  }),
})

export const { useSearchUsersQuery, useChatPeerQuery, useGetConversationsQuery } = chatApi
