import { describe, expect, it, vi } from 'vitest'
import { screen, waitFor } from '@testing-library/react'
import { aUser, jsonResponse, renderWithProviders, stubFetch } from '../../test/utils.jsx'
import { ProfilePage } from './ProfilePage.jsx'

const signedIn = { auth: { token: 'tok-1', user: aUser, expired: false } }

describe('ProfilePage', () => {
  it('saves name and bio with PATCH /users/me/profile', async () => {
    const saved = { ...aUser, name: 'Asha R.', bio: 'Tea, trains.' }
    const fetch = stubFetch({ 'PATCH /api/v1/users/me/profile': () => jsonResponse(200, { user: saved }) })
    const onSaved = vi.fn()
    const { user } = renderWithProviders(<ProfilePage user={aUser} onSaved={onSaved} />, { preloadedState: signedIn })

    const name = screen.getByLabelText('Name')
    await user.clear(name)
    await user.type(name, 'Asha R.')
    await user.type(screen.getByLabelText('Bio'), 'Tea, trains.')
    await user.click(screen.getByRole('button', { name: 'Save profile' }))

    expect(await screen.findByRole('status')).toHaveTextContent('Profile saved.')
    expect(fetch.requests[0].body).toEqual({ name: 'Asha R.', bio: 'Tea, trains.' })
    expect(onSaved).toHaveBeenCalledWith(saved)
  })

  it('shows a server error at the bio field', async () => {
    stubFetch({
      'PATCH /api/v1/users/me/profile': () =>
        jsonResponse(400, { error: { code: 'validation', message: 'invalid input', fields: { bio: 'must be at most 280 characters' } } }),
    })
    const { user } = renderWithProviders(<ProfilePage user={aUser} />, { preloadedState: signedIn })
    await user.type(screen.getByLabelText('Bio'), 'hello')
    await user.click(screen.getByRole('button', { name: 'Save profile' }))

    const bio = screen.getByLabelText('Bio')
    await waitFor(() => expect(bio).toHaveAttribute('aria-invalid', 'true'))
    expect(bio).toHaveAccessibleDescription(/Must be at most 280 characters/)
    expect(bio).toHaveFocus()
  })
})
