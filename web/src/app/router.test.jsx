import { describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import { aUser, jsonResponse, renderWithProviders, stubFetch } from '../test/utils.jsx'
import { AppRoutes } from './router.jsx'

const signedIn = { auth: { token: 'tok-1', user: aUser, expired: false } }

describe('routes', () => {
  it('sends / to /login when signed out', () => {
    const { location } = renderWithProviders(<AppRoutes />, { route: '/' })
    expect(location().pathname).toBe('/login')
  })

  it('sends / to /chat when signed in, inside the app shell', async () => {
    stubFetch({ 'GET /api/v1/users/me': () => jsonResponse(200, { user: aUser }) })
    const { location } = renderWithProviders(<AppRoutes />, { route: '/', preloadedState: signedIn })
    expect(location().pathname).toBe('/chat')
    expect(await screen.findByRole('heading', { level: 1, name: 'Chat' })).toBeInTheDocument()
    const header = screen.getByRole('banner')
    expect(within(header).getByText('Asha Rao')).toBeInTheDocument()
    expect(within(header).getByRole('link', { name: 'Chat' })).toHaveAttribute('aria-current', 'page')
  })

  it.each(['/chat', '/profile', '/call/65f1c0ffee0000000000bbbb'])('protects %s', (route) => {
    const { location } = renderWithProviders(<AppRoutes />, { route })
    expect(location().pathname).toBe('/login')
    expect(location().state.from.pathname).toBe(route)
  })

  it('sends signed-in users away from /login', () => {
    stubFetch({ 'GET /api/v1/users/me': () => jsonResponse(200, { user: aUser }) })
    const { location } = renderWithProviders(<AppRoutes />, { route: '/login', preloadedState: signedIn })
    expect(location().pathname).toBe('/chat')
  })

  it('logs out from the header', async () => {
    const fetch = stubFetch({
      'GET /api/v1/users/me': () => jsonResponse(200, { user: aUser }),
      'POST /api/v1/auth/logout': () => new Response(null, { status: 204 }),
    })
    const { user, store, location } = renderWithProviders(<AppRoutes />, { route: '/chat', preloadedState: signedIn })
    await user.click(screen.getByRole('button', { name: 'Log out' }))

    await waitFor(() => expect(location().pathname).toBe('/login'))
    expect(store.getState().auth.token).toBeNull()
    const logout = fetch.requests.find((r) => r.path === '/api/v1/auth/logout')
    expect(logout.headers.get('Authorization')).toBe('Bearer tok-1')
  })

  it('returns to login, explaining why, when the stored token is refused', async () => {
    stubFetch({
      'GET /api/v1/users/me': () => jsonResponse(401, { error: { code: 'unauthorized', message: 'expired' } }),
    })
    const { location } = renderWithProviders(<AppRoutes />, { route: '/chat', preloadedState: signedIn })
    expect(await screen.findByText('Your session has ended. Please log in again.')).toBeInTheDocument()
    expect(location().pathname).toBe('/login')
  })

  it('shows a not-found page for unknown addresses', () => {
    renderWithProviders(<AppRoutes />, { route: '/nope' })
    expect(screen.getByRole('heading', { name: 'Page not found' })).toBeInTheDocument()
  })
})
