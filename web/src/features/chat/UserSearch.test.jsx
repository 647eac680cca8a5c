import { describe, expect, it } from 'vitest'
import { screen } from '@testing-library/react'
import { aUser, jsonResponse, renderWithProviders, stubFetch } from '../../test/utils.jsx'
import { UserSearch } from './UserSearch.jsx'

const signedIn = { auth: { token: 'tok-1', user: aUser, expired: false } }
const ravi = { ...aUser, id: '65f1c0ffee0000000000bbbb', name: 'Ravi Kumar', bio: 'Call me maybe', status: 'offline' }

describe('UserSearch', () => {
  it('searches by prefix and lists the people found', async () => {
    const fetch = stubFetch({ 'GET /api/v1/users': () => jsonResponse(200, { users: [ravi] }) })
    const { user } = renderWithProviders(<UserSearch />, { preloadedState: signedIn })

    expect(screen.getByRole('status')).toHaveTextContent('Type the start of a name or email address.')
    await user.type(screen.getByRole('searchbox', { name: 'Name or email' }), 'ra')

    expect(await screen.findByText('Ravi Kumar')).toBeInTheDocument()
    expect(screen.getByText('Offline')).toBeInTheDocument()
    expect(screen.getByRole('link', { name: 'Call Ravi Kumar' })).toHaveAttribute('href', `/call/${ravi.id}`)
    expect(screen.getByRole('status')).toHaveTextContent('1 person found.')
    expect(fetch.requests).toHaveLength(1) // debounced: one request for "ra"
    expect(fetch.requests[0].url.searchParams.get('q')).toBe('ra')
    expect(fetch.requests[0].url.searchParams.get('limit')).toBe('20')
  })

  it('says when no one matches', async () => {
    stubFetch({ 'GET /api/v1/users': () => jsonResponse(200, { users: [] }) })
    const { user } = renderWithProviders(<UserSearch />, { preloadedState: signedIn })
    await user.type(screen.getByRole('searchbox'), 'zz')
    expect(await screen.findByText('No one found for “zz”.')).toBeInTheDocument()
  })
})
