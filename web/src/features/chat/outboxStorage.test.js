import 'fake-indexeddb/auto'
import { describe, expect, it, vi } from 'vitest'
import { realtimeConnected } from '../../app/realtimeEvents.js'
import { sessionRejected } from '../../app/api.js'
import { makeStore } from '../../app/store.js'
import { loggedIn, loggedOut } from '../auth/authSlice.js'
import { createFakeRealtime } from '../../test/fakeRealtime.js'
import { ME, RAVI, aMessage } from '../../test/fixtures.js'
import { outboxQueued } from './chatSlice.js'
import { retryOutboxItem, sendImage, sendText, sendTextOnly } from './chatThunks.js'
import { browserTabs, outboxKey, readOutbox, storableItems, tabLockName } from './outboxStorage.js'
import { keepPickedImage, loadPickedImages } from './pickedImages.js'

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
  it('keeps texts and images, as waiting to be sent; an image not uploaded yet is marked for its file', () => {
    const item = (fields) => ({ peerId: RAVI, text: null, image: null, preview: null, error: null, createdAt: 't', ...fields })
    const kept = storableItems([
      item({ clientId: 'a', text: 'hi', status: 'sending' }),
      item({ clientId: 'b', image: anImage, preview: 'blob:x', status: 'queued' }),
      item({ clientId: 'c', preview: 'blob:y', status: 'uploading' }),
      item({ clientId: 'd', preview: 'blob:z', status: 'failed', error: 'The upload failed.' }),
      item({ clientId: 'e', text: 'no', status: 'failed', error: 'Too long' }),
    ])
    expect(kept.map((i) => [i.clientId, i.status, i.error, i.imagePicked ?? false])).toEqual([
      ['a', 'queued', null, false],
      ['b', 'queued', null, false],
      ['c', 'queued', null, true],
      ['d', 'failed', 'The upload failed.', true],
      ['e', 'failed', 'Too long', false],
    ])
    for (const item of kept) expect(item).not.toHaveProperty('preview')
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
    expect(storage.keys().filter((key) => key.startsWith(outboxKey(ME)))).toEqual([])
  })

  it('shows a restored image from its upload, since the picked file is gone', () => {
    const storage = memoryStorage()
    const { store } = offlineStore(storage)
    store.dispatch(outboxQueued({ clientId: 'img-1', peerId: RAVI, preview: 'blob:gone', uploading: true }))
    store.dispatch({ type: 'chat/outboxUploaded', payload: { clientId: 'img-1', image: anImage } })
    const [restored] = offlineStore(storage).store.getState().chat.outbox
    expect(restored).toMatchObject({ clientId: 'img-1', image: anImage, preview: '/media/abc-t.jpg', status: 'queued' })
  })

  it('keeps an image picked offline, file and all, and uploads it at the next connect', async () => {
    vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:test')
    const storage = memoryStorage()
    const { realtime, store } = offlineStore(storage)
    const file = new File([new Uint8Array([1, 2, 3])], 'sea.png', { type: 'image/png' })
    await store.dispatch(sendImage({ peerId: RAVI, file }))
    const [item] = store.getState().chat.outbox
    // Offline: queued, no upload tried.
    expect(item).toMatchObject({ status: 'queued', image: null })
    expect(readOutbox(storage, ME)).toMatchObject([{ clientId: item.clientId, awaitingFile: true }])
    await vi.waitFor(async () => expect((await loadPickedImages(ME)).has(item.clientId)).toBe(true))

    // The next page load: the item comes back waiting for its file, then gets it.
    const next = offlineStore(storage)
    await vi.waitFor(() => {
      const [back] = next.store.getState().chat.outbox
      expect(back).toMatchObject({ clientId: item.clientId, awaitingFile: false, status: 'queued' })
      expect(back.preview).toBeTruthy()
    })
    // At the connect the upload starts first (what follows waits for it, in order).
    // (jsdom's FormData takes only its own Blobs, not what IndexedDB's fake clones back.)
    const uploads = []
    vi.stubGlobal('FormData', class { append(name, value) { this[name] = value } })
    vi.stubGlobal(
      'XMLHttpRequest',
      class {
        upload = {}
        open(method, url) {
          this.url = url
        }
        setRequestHeader() {}
        send(body) {
          uploads.push([this.url, 'file' in body])
        }
      },
    )
    next.realtime.connected = true
    next.store.dispatch(realtimeConnected())
    // (The bytes that reach the server are checked in Chromium, e2e/chat.test.mjs.)
    await vi.waitFor(() => expect(uploads).toEqual([['/api/v1/uploads/image', true]]))
    expect(next.store.getState().chat.outbox[0].status).toBe('uploading')
    expect(next.realtime.emittedOf('send-message')).toEqual([])
    expect(realtime.emittedOf('send-message')).toEqual([])
  })

  it('fails, with the reason, an image whose file did not come back; Retry does not send its caption alone', async () => {
    const storage = memoryStorage({
      [outboxKey(ME)]: JSON.stringify({
        v: 1,
        items: [
          { clientId: 'lost-1', peerId: RAVI, text: 'look at this', imagePicked: true, status: 'queued' },
          { clientId: 'lost-2', peerId: RAVI, imagePicked: true, status: 'queued' },
        ],
      }),
    })
    const { store, realtime } = offlineStore(storage)
    const lost = { status: 'failed', imageLost: true, error: 'The picked image is no longer available.' }
    await vi.waitFor(() => expect(store.getState().chat.outbox).toMatchObject([lost, lost]))
    realtime.connected = true
    store.dispatch(realtimeConnected())
    await store.dispatch(retryOutboxItem('lost-1'))
    await store.dispatch(retryOutboxItem('lost-2'))
    expect(realtime.emittedOf('send-message')).toEqual([])
    expect(store.getState().chat.outbox).toMatchObject([lost, lost])

    // A reload keeps them lost (not a caption queued to go out), with or without a caption.
    const next = offlineStore(storage)
    await vi.waitFor(() => expect(next.store.getState().chat.outbox).toMatchObject([lost, lost]))
    expect(next.store.getState().chat.outbox.map((item) => item.awaitingFile ?? false)).toEqual([false, false])

    // Sending the text alone is the user's explicit choice, and needs a text.
    next.realtime.connected = true
    next.store.dispatch(realtimeConnected())
    await next.store.dispatch(sendTextOnly('lost-2'))
    await next.store.dispatch(sendTextOnly('lost-1'))
    await vi.waitFor(() =>
      expect(next.realtime.emittedOf('send-message')).toEqual([{ to: RAVI, clientId: 'lost-1', text: 'look at this' }]),
    )
    await vi.waitFor(() => expect(next.store.getState().chat.outbox.map((item) => item.clientId)).toEqual(['lost-2']))
  })

  it('forgets kept files at an explicit logout', async () => {
    const storage = memoryStorage()
    const { store } = offlineStore(storage)
    await keepPickedImage(ME, 'kept-1', new Blob([new Uint8Array([1])]))
    expect((await loadPickedImages(ME)).has('kept-1')).toBe(true)
    store.dispatch(loggedOut())
    await vi.waitFor(async () => expect((await loadPickedImages(ME)).size).toBe(0))
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

// Web Locks as a browser gives them (exclusive, granted in order), and tabs
// that can be closed: closing one ends the lock it holds.
function fakeLocks() {
  const holders = new Map() // name -> release
  const queues = new Map() // name -> grants waiting
  const next = (name) => {
    const grant = (queues.get(name) ?? []).shift()
    if (grant) grant()
    else holders.delete(name)
  }
  return {
    request(name, callback) {
      return new Promise((resolve, reject) => {
        const grant = () => {
          let ended = false
          const release = () => {
            if (ended) return
            ended = true
            next(name)
          }
          holders.set(name, release)
          Promise.resolve()
            .then(callback)
            .then(
              (value) => (resolve(value), release()),
              (error) => (reject(error), release()),
            )
        }
        if (holders.has(name)) queues.set(name, [...(queues.get(name) ?? []), grant])
        else grant()
      })
    },
    end: (name) => holders.get(name)?.(),
  }
}

// One localStorage seen by several tabs: a write by one is a storage event in the others.
function sharedStorage() {
  const storage = memoryStorage()
  const tabs = new Set()
  const view = () => {
    const events = new EventTarget()
    tabs.add(events)
    const tell = (key, newValue) => {
      for (const other of tabs) {
        if (other === events) continue
        const event = new Event('storage')
        Object.assign(event, { key, newValue })
        other.dispatchEvent(event)
      }
    }
    return {
      events,
      storage: {
        ...storage,
        setItem: (key, value) => (storage.setItem(key, value), tell(key, String(value))),
        removeItem: (key) => (storage.removeItem(key), tell(key, null)),
      },
      close: () => tabs.delete(events),
    }
  }
  return { storage, view }
}

/** Resolves once the clock has moved on to the next millisecond. */
async function nextMillisecond() {
  const now = Date.now()
  while (Date.now() === now) await new Promise((resolve) => setTimeout(resolve, 1))
}

describe('the kept outbox across tabs', () => {
  function openTab(shared, locks) {
    const { events, storage, close } = shared.view()
    const tabs = browserTabs(locks)
    const realtime = createFakeRealtime({ connected: false })
    const sent = new Map()
    realtime.answer('send-message', (payload) => {
      if (!sent.has(payload.clientId)) sent.set(payload.clientId, aMessage({ from: ME, to: payload.to, text: payload.text, clientId: payload.clientId }))
      return { ok: true, message: sent.get(payload.clientId) }
    })
    const store = makeStore(signedIn, { realtime, storage, outboxTabs: { tabs, events } })
    const connect = () => {
      realtime.connected = true
      store.dispatch(realtimeConnected())
    }
    // A closed tab writes nothing more, and the lock it held ends.
    const closeTab = () => {
      close()
      realtime.connected = false
      locks.end(tabLockName(tabs.id))
    }
    return { store, realtime, connect, closeTab, texts: () => store.getState().chat.outbox.map((item) => item.text) }
  }

  it('keeps what each open tab wrote: neither overwrites the other', async () => {
    const shared = sharedStorage()
    const locks = fakeLocks()
    const a = openTab(shared, locks)
    await vi.waitFor(() => expect(a.store.getState().chat.outbox).toEqual([]))
    await a.store.dispatch(sendText({ peerId: RAVI, text: 'from a' }))
    const b = openTab(shared, locks)
    await nextMillisecond()
    await b.store.dispatch(sendText({ peerId: RAVI, text: 'from b' }))
    // The kept outbox is ordered by creation time, to the millisecond: sent
    // within the same one, b's item and a's would tie (seen on a fast machine).
    await nextMillisecond()
    await a.store.dispatch(sendText({ peerId: RAVI, text: 'from a, later' }))
    await vi.waitFor(() =>
      expect(readOutbox(shared.storage, ME).map((item) => item.text)).toEqual(['from a', 'from b', 'from a, later']),
    )
    // A tab that is still open keeps its own items: b has not taken a's.
    expect(b.texts()).toEqual(['from b'])
  })

  it("sends what a closed tab wrote offline from another open tab, once, without a reload", async () => {
    const shared = sharedStorage()
    const locks = fakeLocks()
    const a = openTab(shared, locks)
    const b = openTab(shared, locks)
    await vi.waitFor(() => expect(b.store.getState().chat.outbox).toEqual([]))
    await a.store.dispatch(sendText({ peerId: RAVI, text: 'written offline' }))
    b.connect()
    expect(b.realtime.emittedOf('send-message')).toEqual([])
    a.closeTab()
    await vi.waitFor(() =>
      expect(b.realtime.emittedOf('send-message')).toMatchObject([{ to: RAVI, text: 'written offline' }]),
    )
    await vi.waitFor(() => expect(b.store.getState().chat.outbox).toEqual([]))
    expect(shared.storage.keys().filter((key) => key.startsWith(outboxKey(ME)))).toEqual([])
  })

  it('leaves an open tab the file of the image it picked', async () => {
    vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:test')
    const shared = sharedStorage()
    const locks = fakeLocks()
    const a = openTab(shared, locks)
    await vi.waitFor(() => expect(a.store.getState().chat.outbox).toEqual([]))
    await a.store.dispatch(sendImage({ peerId: RAVI, file: new File([new Uint8Array([7])], 'a.png', { type: 'image/png' }) }))
    const [picked] = a.store.getState().chat.outbox
    await vi.waitFor(async () => expect((await loadPickedImages(ME)).has(picked.clientId)).toBe(true))
    const b = openTab(shared, locks)
    await vi.waitFor(() => expect(b.store.getState().chat.outbox).toEqual([]))
    // b's restore looked at the kept files and left a's alone; once a closes, b takes the image over.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect((await loadPickedImages(ME)).has(picked.clientId)).toBe(true)
    a.closeTab()
    await vi.waitFor(() =>
      expect(b.store.getState().chat.outbox).toMatchObject([{ clientId: picked.clientId, awaitingFile: false, status: 'queued' }]),
    )
  })
})

