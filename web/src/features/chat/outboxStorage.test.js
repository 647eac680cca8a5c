import { describe, expect, it, vi } from 'vitest'
import { realtimeConnected } from '../../app/realtimeEvents.js'
import { sessionRejected } from '../../app/api.js'
import { makeStore } from '../../app/store.js'
import { loggedIn, loggedOut } from '../auth/authSlice.js'
import { createFakeRealtime } from '../../test/fakeRealtime.js'
import { ME, RAVI, aMessage } from '../../test/fixtures.js'
import { outboxQueued } from './chatSlice.js'
import { sendText } from './chatThunks.js'
import { outboxKey, readOutbox, storableItems } from './outboxStorage.js'

const me = { id: ME, name: 'Me' }
const signedIn = { auth: { token: 'tok-1', user: me, expired: false } }

function memoryStorage(initial = {}) {
  const data = new Map(Object.entries(initial))
  return {
    getItem: (key) => (data.has(key) ? data.get(key) : null),
    setItem: (key, value) => data.set(key, String(value)),
    removeItem: (key) => data.delete(key),
    keys: () => [...data.keys()],
  }
}

function offlineStore(storage) {
  const realtime = createFakeRealtime({ connected: false })
  const stored = new Map()
  realtime.answer('send-message', (payload) => {
    if (!stored.has(payload.clientId)) {
      stored.set(payload.clientId, aMessage({ from: ME, to: payload.to, text: payload.text, clientId: payload.clientId }))
    }
    return { ok: true, message: stored.get(payload.clientId) }
  })
  return { realtime, stored, store: makeStore(signedIn, { realtime, storage }) }
}

const anImage = { public_id: 'samwaad/chat/abc', url: '/media/abc.jpg', thumbnailUrl: '/media/abc-t.jpg', width: 10, height: 10 }

describe('storableItems', () => {
  it('keeps texts and uploaded images, as waiting to be sent, and drops what still needs the picked file', () => {
    const item = (fields) => ({ peerId: RAVI, text: null, image: null, preview: null, error: null, createdAt: 't', ...fields })
    const kept = storableItems([
      item({ clientId: 'a', text: 'hi', status: 'sending' }),
      item({ clientId: 'b', image: anImage, preview: 'blob:x', status: 'queued' }),
      item({ clientId: 'c', preview: 'blob:y', status: 'uploading' }),
      item({ clientId: 'd', preview: 'blob:z', status: 'failed', error: 'The upload failed.' }),
      item({ clientId: 'e', text: 'no', status: 'failed', error: 'Too long' }),
    ])
    expect(kept.map((i) => [i.clientId, i.status, i.error])).toEqual([
      ['a', 'queued', null],
      ['b', 'queued', null],
      ['e', 'failed', 'Too long'],
    ])
    expect(kept[1]).not.toHaveProperty('preview')
  })
})

describe('the kept outbox', () => {
  it('survives a reload and is sent, once, at the next connect', async () => {
    const storage = memoryStorage()
    const first = offlineStore(storage)
    await first.store.dispatch(sendText({ peerId: RAVI, text: 'written offline' }))
    const clientId = first.store.getState().chat.outbox[0].clientId
    expect(readOutbox(storage, ME).map((i) => [i.clientId, i.text])).toEqual([[clientId, 'written offline']])

    // The page is reloaded: a new store over the same storage.
    const second = offlineStore(storage)
    expect(second.store.getState().chat.outbox.map((i) => [i.clientId, i.text, i.status])).toEqual([
      [clientId, 'written offline', 'queued'],
    ])
    second.realtime.connected = true
    second.store.dispatch(realtimeConnected())
    await vi.waitFor(() => expect(second.store.getState().chat.outbox).toEqual([]))
    expect(second.realtime.emittedOf('send-message')).toEqual([{ to: RAVI, text: 'written offline', clientId }])
    expect(storage.keys()).not.toContain(outboxKey(ME))
  })

  it('shows a restored image from its upload, since the picked file is gone', () => {
    const storage = memoryStorage()
    const { store } = offlineStore(storage)
    store.dispatch(outboxQueued({ clientId: 'img-1', peerId: RAVI, preview: 'blob:gone', uploading: true }))
    expect(readOutbox(storage, ME)).toEqual([]) // not uploaded yet: nothing to keep
    store.dispatch({ type: 'chat/outboxUploaded', payload: { clientId: 'img-1', image: anImage } })
    const [restored] = offlineStore(storage).store.getState().chat.outbox
    expect(restored).toMatchObject({ clientId: 'img-1', image: anImage, preview: '/media/abc-t.jpg', status: 'queued' })
  })

  it('is forgotten at an explicit logout, and kept when the session expires', async () => {
    const storage = memoryStorage()
    const { store } = offlineStore(storage)
    await store.dispatch(sendText({ peerId: RAVI, text: 'pending' }))
    store.dispatch(sessionRejected())
    expect(readOutbox(storage, ME)).toHaveLength(1)
    store.dispatch(loggedIn({ token: 'tok-2', user: me }))
    expect(store.getState().chat.outbox.map((i) => i.text)).toEqual(['pending'])
    store.dispatch(loggedOut())
    expect(readOutbox(storage, ME)).toEqual([])
  })

  it('belongs to its user: another user signing in gets their own', async () => {
    const storage = memoryStorage()
    const { store } = offlineStore(storage)
    await store.dispatch(sendText({ peerId: RAVI, text: 'mine' }))
    store.dispatch(loggedIn({ token: 'tok-other', user: { id: RAVI, name: 'Ravi' } }))
    expect(store.getState().chat.outbox).toEqual([])
    expect(readOutbox(storage, ME).map((i) => i.text)).toEqual(['mine'])
  })

  it('ignores what it cannot read', () => {
    for (const raw of ['not json', '{"v":2,"items":[]}', '{"v":1,"items":[{"clientId":"x"}]}', '{"v":1}']) {
      const storage = memoryStorage({ [outboxKey(ME)]: raw })
      expect(readOutbox(storage, ME)).toEqual([])
      expect(offlineStore(storage).store.getState().chat.outbox).toEqual([])
    }
  })
})
