import { describe, expect, it, vi } from 'vitest'
import { act, screen } from '@testing-library/react'
import { loggedIn, loggedOut } from '../features/auth/authSlice.js'
import { aMessage } from '../test/fixtures.js'
import { aUser, renderWithProviders } from '../test/utils.jsx'
import { ConnectionBanner } from './ConnectionBanner.jsx'
import { createRealtime } from './realtime.js'
import { makeStore } from './store.js'

/** socket.io-client's io(), faked: each call makes a socket the test drives. */
function fakeIo() {
  const sockets = []
  const io = vi.fn((url, options) => {
    const handlers = new Map()
    const socket = {
      url,
      options,
      connected: false,
      active: false,
      acks: {},
      on(event, handler) {
        if (!handlers.has(event)) handlers.set(event, [])
        handlers.get(event).push(handler)
      },
      removeAllListeners: () => handlers.clear(),
      connect: vi.fn(() => {
        socket.active = true
      }),
      disconnect: vi.fn(() => {
        socket.connected = false
        socket.active = false
      }),
      timeout: () => ({ emitWithAck: async (event, payload) => socket.acks[event]?.(payload) }),
      volatile: { emit: vi.fn() },
      // the server's side
      fire(event, ...args) {
        for (const handler of handlers.get(event) ?? []) handler(...args)
      },
      accept() {
        socket.connected = true
        socket.fire('connect')
      },
    }
    sockets.push(socket)
    return socket
  })
  return { io, sockets }
}

function setup({ token = 'tok-1' } = {}) {
  const { io, sockets } = fakeIo()
  const target = new EventTarget()
  const realtime = createRealtime({ url: 'http://samwaad.test', io, target })
  const store = makeStore({ auth: { token, user: aUser, expired: false } }, { realtime, storage: null })
  const stop = realtime.start(store)
  return { io, sockets, target, realtime, store, stop, status: () => store.getState().connection.status }
}

describe('the realtime connection', () => {
  it('connects with the token in the handshake and follows the session', () => {
    const { sockets, store, status } = setup()
    expect(sockets).toHaveLength(1)
    expect(sockets[0].options).toMatchObject({ auth: { token: 'tok-1' }, forceNew: true })
    expect(status()).toBe('connecting')
    sockets[0].accept()
    expect(status()).toBe('online')

    store.dispatch(loggedIn({ token: 'tok-2', user: aUser }))
    expect(sockets[0].disconnect).toHaveBeenCalled()
    expect(sockets[1].options.auth).toEqual({ token: 'tok-2' })

    store.dispatch(loggedOut())
    expect(sockets[1].disconnect).toHaveBeenCalled()
    expect(status()).toBe('idle')
  })

  it('stores a pushed message, then acknowledges it (delivered)', () => {
    const { sockets, store } = setup()
    sockets[0].accept()
    const message = aMessage()
    const ack = vi.fn(() => expect(store.getState().chat.messages[message.id]).toEqual(message))
    sockets[0].fire('message-received', { message }, ack)
    expect(ack).toHaveBeenCalledOnce()
  })

  it('ends the session when the server refuses the token', () => {
    const { sockets, store } = setup()
    sockets[0].fire('connect_error', new Error('unauthorized'))
    expect(store.getState().auth).toMatchObject({ token: null, expired: true })
  })

  it('reports reconnecting while socket.io retries, and asks once more after a server disconnect', () => {
    const { sockets, status } = setup()
    sockets[0].accept()
    sockets[0].active = true
    sockets[0].fire('disconnect', 'transport close')
    expect(status()).toBe('reconnecting')
    sockets[0].fire('disconnect', 'io server disconnect')
    expect(sockets[0].connect).toHaveBeenCalledTimes(2)
  })

  it('stops while the browser is offline and resumes when it is back', () => {
    const { sockets, target, status } = setup()
    sockets[0].accept()
    target.dispatchEvent(new Event('offline'))
    expect(sockets[0].disconnect).toHaveBeenCalled()
    expect(status()).toBe('offline')
    target.dispatchEvent(new Event('online'))
    expect(sockets[0].connect).toHaveBeenCalledTimes(2)
    expect(status()).toBe('reconnecting')
  })

  it('emits with acks when connected, refuses at once when not', async () => {
    const { sockets, realtime } = setup()
    await expect(realtime.emit('typing', { to: 'x' })).rejects.toMatchObject({ code: 'offline' })
    sockets[0].accept()
    sockets[0].acks['message-read'] = () => ({ ok: true })
    await expect(realtime.emit('message-read', { messageId: 'm' })).resolves.toEqual({ ok: true })
    realtime.send('typing', { to: 'x', active: true })
    expect(sockets[0].volatile.emit).toHaveBeenCalledWith('typing', { to: 'x', active: true })
  })

  it('hands signalling to its subscribers', () => {
    const { sockets, realtime } = setup()
    const handler = vi.fn()
    const unsubscribe = realtime.on('signal-answer', handler)
    sockets[0].fire('signal-answer', { callId: 'c', sdp: 's' })
    unsubscribe()
    sockets[0].fire('signal-answer', { callId: 'c', sdp: 's' })
    expect(handler).toHaveBeenCalledOnce()
    expect(() => realtime.on('message-received', handler)).toThrow()
  })

  it('shows a banner while reconnecting or offline', () => {
    const { sockets, store } = setup()
    renderWithProviders(<ConnectionBanner />, { store })
    expect(screen.getByTestId('connection-banner')).toBeEmptyDOMElement()
    act(() => {
      sockets[0].accept()
      sockets[0].active = true
      sockets[0].fire('disconnect', 'ping timeout')
    })
    expect(screen.getByText('Connection lost. Reconnecting…')).toBeInTheDocument()
  })
})
