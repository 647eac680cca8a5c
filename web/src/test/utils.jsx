import { render } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, useLocation } from 'react-router'
import { vi } from 'vitest'
import { AppProviders } from '../app/providers.jsx'
import { makeStore } from '../app/store.js'

let currentLocation = null
function LocationSpy() {
  currentLocation = useLocation()
  return null
}

/**
 * Renders `ui` inside the app's providers and a MemoryRouter at `route`
 * (a path, or a {pathname, state} location).
 * Returns the store, a userEvent instance and `location()` (the router's
 * current location) besides the usual queries.
 */
export function renderWithProviders(
  ui,
  { preloadedState, store = makeStore(preloadedState), route = '/', callClient = null, ...options } = {},
) {
  const result = render(
    <AppProviders store={store} callClient={callClient}>
      <MemoryRouter initialEntries={[route]}>
        {ui}
        <LocationSpy />
      </MemoryRouter>
    </AppProviders>,
    options,
  )
  return { store, user: userEvent.setup(), location: () => currentLocation, ...result }
}

export const aUser = {
  id: '65f1c0ffee0000000000aaaa',
  name: 'Asha Rao',
  bio: '',
  avatar: null,
  status: 'online',
  lastSeen: '2026-11-25T08:24:17.123Z',
  createdAt: '2026-11-01T08:00:00.000Z',
  email: 'asha@example.com',
  updatedAt: '2026-11-01T08:00:00.000Z',
}

export function jsonResponse(status, body, headers = {}) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

/**
 * Replaces global fetch. `routes` maps "METHOD /path" (path without origin,
 * query ignored) to a function (request, body) => Response. Unknown routes
 * answer 404 in the contract's error shape. Returns the mock; each call's
 * {method, path, url, headers, body} is in `mock.requests`.
 */
export function stubFetch(routes) {
  const requests = []
  const mock = vi.fn(async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init)
    const url = new URL(request.url)
    const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.text()
    const body = text ? JSON.parse(text) : undefined
    const key = `${request.method} ${url.pathname}`
    requests.push({ method: request.method, path: url.pathname, url, headers: request.headers, body })
    const handler = routes[key]
    if (!handler) return jsonResponse(404, { error: { code: 'not_found', message: `no stub for ${key}` } })
    return handler(request, body)
  })
  mock.requests = requests
  vi.stubGlobal('fetch', mock)
  return mock
}
