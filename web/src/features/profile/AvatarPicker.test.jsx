import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { screen, waitFor } from '@testing-library/react'
import { aUser, jsonResponse, renderWithProviders, stubFetch } from '../../test/utils.jsx'
import { ProfilePage } from './ProfilePage.jsx'
import { profilePatchRequest } from './profileApi.js'

const signedIn = { auth: { token: 'tok-1', user: aUser, expired: false } }
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])
const avatar = { url: '/media/ab_full.png', thumbnailUrl: '/media/ab_thumb.png', public_id: 'ab', width: 200, height: 200, bytes: 900, format: 'png' }

// jsdom has no object URLs.
const original = URL.createObjectURL
beforeEach(() => {
  URL.createObjectURL = vi.fn(() => 'blob:preview')
  URL.revokeObjectURL = vi.fn()
})
afterEach(() => {
  URL.createObjectURL = original
})

describe('profile picture', () => {
  it('previews a chosen picture before it is saved', async () => {
    stubFetch({})
    const { user } = renderWithProviders(<ProfilePage user={aUser} />, { preloadedState: signedIn })
    await user.upload(screen.getByTestId('avatar-input'), new File([PNG], 'me.png', { type: 'image/png' }))
    expect(await screen.findByText('Preview: save your profile to use this picture.')).toBeInTheDocument()
    // The preview's URL comes from an effect, a render after the hint.
    await waitFor(() => expect(screen.getByTestId('avatar-preview').querySelector('img')).toHaveAttribute('src', 'blob:preview'))
    await user.click(screen.getByRole('button', { name: 'Keep the current one' }))
    expect(screen.getByTestId('avatar-preview').querySelector('img')).toBeNull()
  })

  it('refuses a file that is not an image, next to the picture', async () => {
    stubFetch({})
    const { user } = renderWithProviders(<ProfilePage user={aUser} />, { preloadedState: signedIn })
    await user.upload(screen.getByTestId('avatar-input'), new File(['%PDF-1.7'], 'cv.png', { type: 'image/png' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('Only JPEG, PNG, WebP and GIF images can be sent.')
  })

  it('sends the picture as the multipart avatar part, with name and bio', () => {
    const file = new File([PNG], 'me.png', { type: 'image/png' })
    const request = profilePatchRequest({ name: 'Asha', bio: 'Hi', avatar: file })
    expect(request).toMatchObject({ url: 'users/me/profile', method: 'PATCH' })
    expect(request.body.get('name')).toBe('Asha')
    expect(request.body.get('bio')).toBe('Hi')
    expect(request.body.get('avatar').name).toBe('me.png')
    expect(profilePatchRequest({ name: 'Asha', bio: '' }).body).toEqual({ name: 'Asha', bio: '' })
  })

  it('removes the current picture', async () => {
    const fetch = stubFetch({ 'DELETE /api/v1/users/me/avatar': () => jsonResponse(200, { user: { ...aUser, avatar: null } }) })
    const onSaved = vi.fn()
    const { user } = renderWithProviders(<ProfilePage user={{ ...aUser, avatar }} onSaved={onSaved} />, { preloadedState: signedIn })
    await user.click(screen.getByRole('button', { name: 'Remove picture' }))
    await waitFor(() => expect(onSaved).toHaveBeenCalledWith({ ...aUser, avatar: null }))
    expect(fetch.requests[0]).toMatchObject({ method: 'DELETE', path: '/api/v1/users/me/avatar' })
  })
})
