import { describe, expect, it, vi } from 'vitest'
import { realtimeConnected } from '../../app/realtimeEvents.js'
import { makeStore } from '../../app/store.js'
import { createFakeRealtime } from '../../test/fakeRealtime.js'
import { CONVERSATION, ME, RAVI, aMessage } from '../../test/fixtures.js'
import { jsonResponse, stubFetch } from '../../test/utils.jsx'
import { selectThread } from './chatSlice.js'
import { catchUp, flushOutbox, loadOlder, markRead, openThread, sendImage, sendText, watchPresence } from './chatThunks.js'

const signedIn = { auth: { token: 'tok-1', user: null, expired: false } }

function setup({ connected = true } = {}) {
  const realtime = createFakeRealtime({ connected })
  // Answers send-message like the server: the stored message, once per clientId.
  const stored = new Map()
  realtime.answer('send-message', (payload) => {
    if (!stored.has(payload.clientId)) {
      stored.set(payload.clientId, aMessage({ from: ME, to: payload.to, text: payload.text, clientId: payload.clientId }))
    }
    return { ok: true, message: stored.get(payload.clientId) }
  })
  const store = makeStore(signedIn, { realtime, storage: null })
  return { realtime, store, stored }
}

// An XMLHttpRequest that answers every upload with `status` and `body`.
function answerUploads(status, body) {
  vi.stubGlobal(
    'XMLHttpRequest',
    class {
      upload = {}
      status = status
      responseText = JSON.stringify(body)
      open() {}
      setRequestHeader() {}
      getResponseHeader() {
        return 'application/json'
      }
      send() {
        setTimeout(() => this.onload())
      }
    },
  )
}

describe('the outbox', () => {
  it('uploads an image picked offline at the connect, in order; one the server refuses waits for Retry, the rest goes on', async () => {
    vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:picked')
    answerUploads(413, { error: { code: 'payload_too_large', message: 'The image is larger than 10 MB.' } })
    const { realtime, store } = setup({ connected: false })
    await store.dispatch(sendImage({ peerId: RAVI, file: new File([new Uint8Array(4)], 'big.png', { type: 'image/png' }) }))
    await store.dispatch(sendText({ peerId: RAVI, text: 'after the image' }))
    expect(store.getState().chat.outbox.map((i) => i.status)).toEqual(['queued', 'queued'])

    realtime.connected = true
    store.dispatch(realtimeConnected())
    await vi.waitFor(() => expect(realtime.emittedOf('send-message').map((p) => p.text)).toEqual(['after the image']))
    expect(store.getState().chat.outbox).toMatchObject([{ status: 'failed', error: 'The image is larger than 10 MB.' }])
  })

  it('sends at once when connected', async () => {
    const { realtime, store } = setup()
    await store.dispatch(sendText({ peerId: RAVI, text: 'Hi' }))
    expect(realtime.emittedOf('send-message')).toEqual([{ to: RAVI, text: 'Hi', clientId: expect.any(String) }])
    expect(store.getState().chat.outbox).toEqual([])
    expect(selectThread(store.getState(), RAVI).ids).toHaveLength(1)
  })

  it('keeps messages written offline, and sends them in order, once, when the connection is back', async () => {
    const { realtime, store } = setup({ connected: false })
    await store.dispatch(sendText({ peerId: RAVI, text: 'one' }))
    await store.dispatch(sendText({ peerId: RAVI, text: 'two' }))
    expect(store.getState().chat.outbox.map((i) => [i.text, i.status])).toEqual([
      ['one', 'queued'],
      ['two', 'queued'],
    ])

    realtime.connected = true
    store.dispatch(realtimeConnected())
    await vi.waitFor(() => expect(store.getState().chat.outbox).toEqual([]))
    expect(realtime.emittedOf('send-message').map((p) => p.text)).toEqual(['one', 'two'])
  })

  it('resends with the same clientId when an ack never came, and the server stores it once', async () => {
    const { realtime, store, stored } = setup()
    const emit = realtime.emit
    realtime.emit = vi.fn(async (event, payload) => {
      await emit(event, payload) // the server got it…
      const error = new Error('no answer') // …but the ack was lost
      error.code = 'offline'
      throw error
    })
    await store.dispatch(sendText({ peerId: RAVI, text: 'once' }))
    expect(store.getState().chat.outbox[0].status).toBe('queued')

    realtime.emit = emit
    await store.dispatch(flushOutbox())
    const sends = realtime.emittedOf('send-message')
    expect(sends).toHaveLength(2)
    expect(sends[0].clientId).toBe(sends[1].clientId)
    expect(stored.size).toBe(1)
    expect(selectThread(store.getState(), RAVI).ids).toHaveLength(1)
  })

  it('marks a refused message failed with the reason, and keeps it for a retry', async () => {
    const { realtime, store } = setup()
    realtime.answer('send-message', () => ({
      ok: false,
      error: { code: 'validation', message: 'invalid', fields: { text: 'must be at most 2000 characters' } },
    }))
    await store.dispatch(sendText({ peerId: RAVI, text: 'x' }))
    expect(store.getState().chat.outbox[0]).toMatchObject({ status: 'failed', error: 'must be at most 2000 characters' })
  })
})

describe('history', () => {
  const page = (messages, hasMore) => jsonResponse(200, { messages, hasMore })

  it('loads the newest page, then older ones with before=, and catches up with after=', async () => {
    const [m1, m2, m3, m4] = [aMessage(), aMessage(), aMessage(), aMessage()]
    const fetch = stubFetch({
      [`GET /api/v1/messages/${CONVERSATION}`]: (request) => {
        const url = new URL(request.url)
        if (url.searchParams.get('before')) return page([m1], false)
        if (url.searchParams.get('after')) return page([m4], false)
        return page([m2, m3], true)
      },
    })
    const { store } = setup()
    await store.dispatch(openThread({ peerId: RAVI, conversationId: CONVERSATION }))
    expect(selectThread(store.getState(), RAVI)).toMatchObject({ ids: [m2.id, m3.id], hasOlder: true, status: 'ready' })

    await store.dispatch(loadOlder(RAVI))
    expect(fetch.requests[1].url.searchParams.get('before')).toBe(m2.id)
    expect(selectThread(store.getState(), RAVI)).toMatchObject({ ids: [m1.id, m2.id, m3.id], hasOlder: false })

    await store.dispatch(catchUp())
    expect(fetch.requests[2].url.searchParams.get('after')).toBe(m3.id)
    expect(selectThread(store.getState(), RAVI).ids).toEqual([m1.id, m2.id, m3.id, m4.id])
  })

  it('opens a conversation that does not exist yet as empty, without a request', async () => {
    const fetch = stubFetch({})
    const { store } = setup()
    await store.dispatch(openThread({ peerId: RAVI, conversationId: null }))
    expect(selectThread(store.getState(), RAVI)).toMatchObject({ status: 'ready', ids: [] })
    expect(fetch).not.toHaveBeenCalled()
  })
})

describe('receipts and presence', () => {
  it('reports reading with message-read and marks the messages read', async () => {
    const { realtime, store } = setup()
    realtime.answer('message-read', () => ({ ok: true, readAt: '2026-11-25T09:00:00.000Z' }))
    stubFetch({ [`GET /api/v1/messages/${CONVERSATION}`]: () => jsonResponse(200, { messages: [], hasMore: false }) })
    const message = aMessage()
    await store.dispatch(openThread({ peerId: RAVI, conversationId: CONVERSATION }))
    store.dispatch({ type: 'realtime/messageReceived', payload: { message } })
    expect(await store.dispatch(markRead({ peerId: RAVI, messageId: message.id }))).toBe(true)
    expect(realtime.emittedOf('message-read')).toEqual([{ messageId: message.id }])
    expect(store.getState().chat.messages[message.id]).toMatchObject({ read: true, readAt: '2026-11-25T09:00:00.000Z' })
  })

  it('stores the presence snapshot of presence-subscribe', async () => {
    const { realtime, store } = setup()
    realtime.answer('presence-subscribe', ({ userIds }) => ({
      ok: true,
      users: userIds.map((userId) => ({ userId, status: 'online', lastSeen: null })),
    }))
    await store.dispatch(watchPresence([RAVI, RAVI]))
    expect(realtime.emittedOf('presence-subscribe')).toEqual([{ userIds: [RAVI] }])
    expect(store.getState().presence[RAVI]).toEqual({ status: 'online', lastSeen: null })
  })
})
