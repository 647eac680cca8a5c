// Keeps each user's outbox in localStorage, so that what they wrote while
// offline survives a reload or a closed tab and goes out at the next connect.
// Items keep their clientId: one sent again (from a second tab, or after an
// ack that never came) is still stored once by the server. An image whose
// upload has not finished needs the picked File, which localStorage cannot
// hold: its item is kept here marked imagePicked, the File in IndexedDB
// (pickedImages.js), and the two are joined again after the restore
// (reattachPickedImages). An explicit logout forgets the user's outbox (a
// shared computer); an expired session keeps it for the next login.
//
// Each tab writes its own key (outboxKey + '.' + its tab id), so that two
// open tabs never overwrite each other's items. A tab takes over the items of
// a tab that is gone: at its start, and, where the browser has Web Locks,
// the moment that tab closes (each tab holds a lock named after it for its
// whole life; the others queue for it, and get it when it ends). So what was
// written offline in a tab that was then closed goes out from another open
// tab at its next connect, without a reload. Without Web Locks every other
// key is taken over at the start only (a tab still open then sends its items
// too: stored once all the same).
import { newClientId } from '../../lib/clientId.js'
import { defaultStorage } from '../auth/authStorage.js'
import { outboxRestored } from './chatSlice.js'
import { reattachPickedImages } from './chatThunks.js'
import { forgetPickedImagesOf } from './pickedImages.js'

const PREFIX = 'samwaad.outbox.'
const VERSION = 1
const TAB_LOCK = 'samwaad.tab.'
/** The Web Lock a tab holds for its whole life. */
export const tabLockName = (tabId) => TAB_LOCK + tabId

/** The user's outbox key before tabs had keys of their own; each tab's key starts with it and a dot. */
export const outboxKey = (userId) => PREFIX + userId
const tabKey = (userId, tabId) => `${outboxKey(userId)}.${tabId}`

// Every key of storage (a Storage has length and key(i)).
function storageKeys(storage) {
  try {
    if (typeof storage.key === 'function' && typeof storage.length === 'number') {
      return Array.from({ length: storage.length }, (_, i) => storage.key(i)).filter((key) => key !== null)
    }
    return typeof storage.keys === 'function' ? [...storage.keys()] : []
  } catch {
    return []
  }
}

/** The tab id in `key`: null for the user's key of before tabs, undefined if not one of the user's keys. */
function tabIdIn(key, userId) {
  const base = outboxKey(userId)
  if (key === base) return null
  return key.startsWith(`${base}.`) ? key.slice(base.length + 1) : undefined
}

/** The user's outbox keys: {key, tabId} (tabId null for the key of before tabs). */
function userKeys(storage, userId) {
  return storageKeys(storage).flatMap((key) => {
    const tabId = tabIdIn(key, userId)
    return tabId === undefined ? [] : [{ key, tabId }]
  })
}

/**
 * This tab's identity, and word of other tabs ending, from Web Locks; where
 * the browser has none, `watching` is false and whenGone never calls back.
 */
export function browserTabs(locks = globalThis.navigator?.locks) {
  const id = newClientId() // unique, which is all a tab's id needs
  if (typeof locks?.request !== 'function') return { id, watching: false, hold: () => Promise.resolve(), whenGone() {} }
  return {
    id,
    watching: true,
    /** Resolves once this tab holds its lock, which it keeps until it closes. */
    hold: () =>
      new Promise((held) => {
        locks
          .request(tabLockName(id), () => {
            held()
            return new Promise(() => {})
          })
          .catch(() => held())
      }),
    /** Calls back once tab `tabId` has ended (at once if it has already). */
    whenGone: (tabId, callback) => {
      locks.request(tabLockName(tabId), () => callback()).catch(() => {})
    },
  }
}

// An image message not uploaded yet: its file is in IndexedDB, not here.
const picked = (item) => !item.image && (Boolean(item.preview) || item.awaitingFile === true)

/** The items worth keeping, as they should come back: waiting to be sent (or failed, with the reason). */
export function storableItems(outbox) {
  return outbox.map((item) => {
    const kept = {
      clientId: item.clientId,
      peerId: item.peerId,
      text: item.text ?? null,
      image: item.image ?? null,
      status: item.status === 'failed' ? 'failed' : 'queued',
      error: item.status === 'failed' ? (item.error ?? null) : null,
      createdAt: item.createdAt,
    }
    if (picked(item)) kept.imagePicked = true
    if (item.imageLost) kept.imageLost = true
    return kept
  })
}

const isText = (value) => typeof value === 'string' && value.length > 0

// Anything else in storage (another version, a hand edit) is ignored.
function decodeItem(raw) {
  if (!raw || typeof raw !== 'object' || !isText(raw.clientId) || !isText(raw.peerId)) return null
  const text = isText(raw.text) ? raw.text : null
  const image = raw.image && typeof raw.image === 'object' && isText(raw.image.public_id) ? raw.image : null
  // Lost: its file did not come back at an earlier restore. It stays failed
  // (and shown, caption or not) until the user removes it or sends the text.
  const imageLost = !image && raw.imageLost === true
  const awaitingFile = !image && !imageLost && raw.imagePicked === true
  if (!text && !image && !awaitingFile && !imageLost) return null
  const failed = imageLost || raw.status === 'failed'
  return {
    clientId: raw.clientId,
    peerId: raw.peerId,
    text,
    image,
    // The upload's own URL stands in for the object URL of the picked file,
    // which is gone; a file not uploaded yet gets a new one once it is back.
    preview: image ? (image.thumbnailUrl ?? image.url ?? null) : null,
    ...(awaitingFile ? { awaitingFile } : {}),
    ...(imageLost ? { imageLost } : {}),
    status: failed ? 'failed' : 'queued',
    progress: awaitingFile ? 0 : 1,
    error: failed && isText(raw.error) ? raw.error : imageLost ? 'The picked image is no longer available.' : failed ? 'Not sent.' : null,
    createdAt: isText(raw.createdAt) ? raw.createdAt : new Date().toISOString(),
  }
}

function readKey(storage, key) {
  try {
    const data = JSON.parse(storage.getItem(key) ?? 'null')
    if (data?.v !== VERSION || !Array.isArray(data.items)) return []
    return data.items.map(decodeItem).filter(Boolean)
  } catch {
    return []
  }
}

/** The user's kept outbox, every tab's, oldest first and each item once ([] if none or unreadable). */
export function readOutbox(storage, userId) {
  const seen = new Set()
  return userKeys(storage, userId)
    .flatMap(({ key }) => readKey(storage, key))
    .filter((item) => !seen.has(item.clientId) && seen.add(item.clientId))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
}

/** What storage should hold for these items: null for none. */
function encode(items) {
  return items.length === 0 ? null : JSON.stringify({ v: VERSION, items })
}

function write(storage, key, value) {
  try {
    if (value === null) storage.removeItem(key)
    else storage.setItem(key, value)
  } catch {
    // Quota exceeded or storage disabled: the outbox just won't survive a reload.
  }
}

/**
 * Restores the current user's outbox now and whenever another user signs in
 * (taking over what tabs that are gone left), takes over a tab's outbox when
 * that tab closes, and writes this tab's outbox back whenever it changes.
 */
export function persistOutbox(
  store,
  storage = defaultStorage(),
  { tabs = browserTabs(), events = globalThis.window } = {},
) {
  if (!storage) return () => {}
  let userId = null
  let outbox = null
  let written // what this tab last wrote (undefined: nothing yet)
  const watched = new Set() // tabs whose end this tab waits for

  // What these keys hold joins this tab's outbox: written under this tab's
  // key first, then the other keys go, so a crash in between loses nothing
  // (an item in two keys is sent twice and stored once).
  const takeOver = (user, keys) => {
    if (user !== userId) return
    store.dispatch(outboxRestored(keys.flatMap((key) => readKey(storage, key))))
    store.dispatch(reattachPickedImages(() => storedElsewhere(user)))
    for (const key of keys) if (key !== tabKey(user, tabs.id)) write(storage, key, null)
  }
  // What the other tabs still hold: their picked files must stay.
  const storedElsewhere = (user) =>
    new Set(
      userKeys(storage, user)
        .filter(({ key }) => key !== tabKey(user, tabs.id))
        .flatMap(({ key }) => readKey(storage, key).map((item) => item.clientId)),
    )
  const watch = (user, key, tabId) => {
    if (tabId === tabs.id || watched.has(key)) return
    watched.add(key)
    tabs.whenGone(tabId, () => {
      watched.delete(key)
      takeOver(user, [key])
    })
  }
  const restore = (user) => {
    const keys = userKeys(storage, user)
    // This tab's own key (kept from before a logout by expiry), the key of
    // before tabs, and, without Web Locks, every other: taken over now.
    takeOver(
      user,
      keys.filter(({ tabId }) => tabId === tabs.id || tabId === null || !tabs.watching).map(({ key }) => key),
    )
    for (const { key, tabId } of keys) if (tabId !== null) watch(user, key, tabId)
  }

  const sync = () => {
    const state = store.getState()
    const currentUser = state.auth.user?.id ?? null
    if (currentUser !== userId) {
      if (userId && !state.auth.token && !state.auth.expired) {
        for (const { key } of userKeys(storage, userId)) write(storage, key, null)
        forgetPickedImagesOf(userId)
      }
      userId = currentUser
      outbox = null
      written = undefined
      // Dispatching here runs this listener again, with the user already
      // recorded; what this tab held before (written while its lock was
      // being granted) is written below.
      if (userId) restore(userId)
    }
    const current = store.getState().chat.outbox
    if (!userId || current === outbox) return
    outbox = current
    const value = encode(storableItems(outbox))
    if (value === written) return
    written = value
    write(storage, tabKey(userId, tabs.id), value)
  }

  // Another tab's key showing up: its items are taken over when it closes.
  const onStorage = (event) => {
    if (!userId || event.key === null || event.newValue === null) return
    const tabId = tabIdIn(event.key, userId)
    if (typeof tabId === 'string') watch(userId, event.key, tabId)
  }
  if (tabs.watching) events?.addEventListener?.('storage', onStorage)

  // With Web Locks the start waits for this tab's own lock, so that no
  // other tab takes it for gone meanwhile.
  let unsubscribe = null
  let stopped = false
  const start = () => {
    if (stopped) return
    // Subscribed first: what the restore adds is written back before any
    // key it came from is removed.
    unsubscribe = store.subscribe(sync)
    sync()
  }
  if (tabs.watching) tabs.hold().then(start)
  else start()
  return () => {
    stopped = true
    unsubscribe?.()
    events?.removeEventListener?.('storage', onStorage)
  }
}
