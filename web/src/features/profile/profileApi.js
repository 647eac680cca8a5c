import { api } from '../../app/api.js'

export const profileApi = api.injectEndpoints({
  endpoints: (build) => ({
    // JSON form of PATCH /users/me/profile; the multipart form (avatar upload) comes later.
    updateProfile: build.mutation({
      query: (patch) => ({ url: 'users/me/profile', method: 'PATCH', body: patch }),
      invalidatesTags: (_result, error) => (error ? [] : ['Me']),
    }),
  }),
})

export const { useUpdateProfileMutation } = profileApi
