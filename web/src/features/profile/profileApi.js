import { api } from '../../app/api.js'

/**
 * PATCH /users/me/profile: JSON for name and bio; multipart (the fields plus
 * an `avatar` file part) when a new picture comes with them.
 */
export function profilePatchRequest({ avatar, ...fields }) {
  if (!avatar) return { url: 'users/me/profile', method: 'PATCH', body: fields }
  const form = new FormData()
  for (const [key, value] of Object.entries(fields)) form.append(key, value)
  form.append('avatar', avatar, avatar.name || 'avatar')
  return { url: 'users/me/profile', method: 'PATCH', body: form }
}

export const profileApi = api.injectEndpoints({
  endpoints: (build) => ({
    updateProfile: build.mutation({
      query: profilePatchRequest,
      invalidatesTags: (_result, error) => (error ? [] : ['Me']),
    }),
    removeAvatar: build.mutation({
      query: () => ({ url: 'users/me/avatar', method: 'DELETE' }),
      invalidatesTags: (_result, error) => (error ? [] : ['Me']),
    }),
  }),
})

export const { useUpdateProfileMutation, useRemoveAvatarMutation } = profileApi
