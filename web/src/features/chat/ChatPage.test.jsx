import { describe, expect, it } from 'vitest'
import { act, screen, waitFor, within } from '@testing-library/react'
import { AppRoutes } from '../../app/router.jsx'
import { makeStore } from '../../app/store.js'
import { messageReceived, peerTyping, realtimeConnected, userCameOnline, userUpdated } from '../../app/realtimeEvents.js'
import { createFakeRealtime } from '../../test/fakeRealtime.js'
import { CONVERSATION, ME, RAVI, aConversation, aMessage } from '../../test/fixtures.js'
import { aUser, jsonResponse, renderWithProviders, stubFetch } from '../../test/utils.jsx'

const yesterday = new Date(Date.now() - 86400000).toISOString()
const today = new Date().toISOString()

function setup({ messages, conversation }) {
  const fetch = stubFetch({
    'GET /api/v1/users/me': () => jsonResponse(200, { user: aUser }),
    'GET /api/v1/conversations': () => jsonResponse(200, { conversations: [conversation] }),
    [`GET /api/v1/messages/${CONVERSATION}`]: () => jsonResponse(200, { messages, hasMore: false }),
  })
  const realtime = createFakeRealtime()
  realtime.answer('message-read', () => ({ ok: true, readAt: today }))
  realtime.answer('send-message', (payload) => ({
    ok: true,
    message: aMessage({ from: ME, to: payload.to, text: payload.text, clientId: payload.clientId, createdAt: today }),
  }))
  realtime.answer('presence-subscribe', () => ({ ok: true, users: [] }))
  const store = makeStore({ auth: { token: 'tok-1', user: aUser, expired: false } }, { realtime, storage: null })
  store.dispatch(realtimeConnected())
  return { fetch, realtime, store }
}

describe('ChatPage', () => {
  it('lists conversations with presence, last message and unread count', async () => {
    const last = aMessage({ text: 'See you soon', createdAt: today })
    const { store } = setup({ messages: [], conversation: aConversation({ lastMessage: last, unreadCount: 2 }) })
    renderWithProviders(<AppRoutes />, { route: '/chat', store })

    const item = await screen.findByRole('link', { name: /Ravi Kumar/ })
    expect(within(item).getByText('See you soon')).toBeInTheDocument()
    expect(within(item).getByTestId('unread-badge')).toHaveTextContent('2 unread')
    expect(within(item).getByText(/^last seen/)).toBeInTheDocument()

    act(() => store.dispatch(userCameOnline({ userId: RAVI, name: 'Ravi Kumar', avatar: null })))
    expect(within(item).getByText('Online')).toBeInTheDocument()
  })

  it('renames a peer at once when user-updated arrives', async () => {
    const { store } = setup({ messages: [], conversation: aConversation({ lastMessage: aMessage({ createdAt: today }) }) })
    renderWithProviders(<AppRoutes />, { route: '/chat', store })
    await screen.findByRole('link', { name: /Ravi Kumar/ })

    act(() => store.dispatch(userUpdated({ user: { id: RAVI, name: 'Ravi K. Sharma', bio: 'new', avatar: null } })))
    expect(await screen.findByRole('link', { name: /Ravi K\. Sharma/ })).toBeInTheDocument()
  })

  it('shows the conversation with day separators and ticks, reports it read, and sends', async () => {
    const messages = [
      aMessage({ text: 'Yesterday’s news', createdAt: yesterday }),
      aMessage({ from: ME, to: RAVI, text: 'Got it', delivered: true, deliveredAt: yesterday, createdAt: yesterday }),
      aMessage({ text: 'Morning!', createdAt: today }),
    ]
    const { realtime, store } = setup({ messages, conversation: aConversation({ lastMessage: messages[2], unreadCount: 1 }) })
    const { user } = renderWithProviders(<AppRoutes />, { route: `/chat/${RAVI}`, store })

    const log = await screen.findByRole('log', { name: 'Messages with Ravi Kumar' })
    await within(log).findByText('Morning!')
    expect(within(log).getByText('Yesterday')).toBeInTheDocument()
    expect(within(log).getByText('Today')).toBeInTheDocument()
    expect(within(log).getByText('Got it').closest('li')).toHaveAttribute('data-status', 'delivered')
    expect(within(log).getByText('Got it').closest('li')).toHaveTextContent('Delivered')

    // What is on screen is reported read.
    await waitFor(() => expect(realtime.emittedOf('message-read')).toEqual([{ messageId: messages[2].id }]))

    const box = screen.getByRole('textbox', { name: 'Message to Ravi Kumar' })
    await user.type(box, 'On my way{Enter}')
    expect(await within(log).findByText('On my way')).toBeInTheDocument()
    expect(box).toHaveValue('')
    expect(realtime.sent).toContainEqual({ event: 'typing', payload: { to: RAVI, active: true } })
    expect(realtime.sent.at(-1)).toEqual({ event: 'typing', payload: { to: RAVI, active: false } })
    expect(realtime.emittedOf('send-message')).toEqual([{ to: RAVI, text: 'On my way', clientId: expect.any(String) }])
  })

  it('shows live messages and "typing…"', async () => {
    const { store } = setup({ messages: [], conversation: aConversation() })
    renderWithProviders(<AppRoutes />, { route: `/chat/${RAVI}`, store })
    const log = await screen.findByRole('log')
    await screen.findByText('No messages yet. Say hello to Ravi Kumar!')

    act(() => store.dispatch(peerTyping({ from: RAVI, active: true })))
    expect(screen.getByTestId('thread-peer-status')).toHaveTextContent('typing…')
    act(() => store.dispatch(messageReceived({ message: aMessage({ text: 'Hey there', createdAt: today }) })))
    expect(within(log).getByText('Hey there')).toBeInTheDocument()
    expect(screen.getByTestId('thread-peer-status')).not.toHaveTextContent('typing…')
  })

  it('refuses a file that is not an image before uploading it', async () => {
    const { store, fetch } = setup({ messages: [], conversation: aConversation() })
    const { user } = renderWithProviders(<AppRoutes />, { route: `/chat/${RAVI}`, store })
    await screen.findByRole('log')
    const input = screen.getByTestId('image-input')
    await user.upload(input, new File(['just text'], 'notes.png', { type: 'image/png' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('Only JPEG, PNG, WebP and GIF images can be sent.')
    expect(fetch.requests.some((r) => r.path.includes('uploads'))).toBe(false)
    expect(store.getState().chat.outbox).toEqual([])
  })
})
