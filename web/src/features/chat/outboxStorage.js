// Keeps each user's outbox in localStorage, so that what they wrote while
// offline survives a reload or a closed tab and goes out at the next connect.
// Items keep their clientId: one sent again (from a second tab, or after an
// ack that never came) is still stored once by the server. An image whose
// upload has not finished needs the picked File, which localStorage cannot
// hold: its item is kept here marked imagePicked, the File in IndexedDB
// (pickedImages.js), and the two are joined again after the restore
// (reattachPickedImages). An explicit logout forgets the user's outbox (a
// shared computer); an expired session keeps it for the next login.
import { defaultStorage } from '../auth/authStorage.js'
import { outboxRestored } from './chatSlice.js'
import { reattachPickedImages } from './chatThunks.js'
import { forgetPickedImagesOf } from './pickedImages.js'

const PREFIX = 'samwaad.outbox.'
const VERSION = 1

export const outboxKey = (userId) => PREFIX + userId

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

/** The user's kept outbox, oldest first ([] if none or unreadable). */
export function readOutbox(storage, userId) {
  try {
    const data = JSON.parse(storage.getItem(outboxKey(userId)) ?? 'null')
    if (data?.v !== VERSION || !Array.isArray(data.items)) return []
    return data.items.map(decodeItem).filter(Boolean)
  } catch {
    return []
  }
}

/** What storage should hold for these items: null for none. */
function encode(items) {
  return items.length === 0 ? null : JSON.stringify({ v: VERSION, items })
}

function write(storage, userId, value) {
  try {
    if (value === null) storage.removeItem(outboxKey(userId))
    else storage.setItem(outboxKey(userId), value)
  } catch {
    // Quota exceeded or storage disabled: the outbox just won't survive a reload.
  }
}

/**
 * Restores the current user's outbox now and whenever another user signs in,
 * and writes it back whenever it changes.
 */
export function persistOutbox(store, storage = defaultStorage()) {
  if (!storage) return () => {}
  let userId = null
  let outbox = null
  let written // what this tab last wrote (undefined: nothing yet)
  const sync = () => {
    const state = store.getState()
    const currentUser = state.auth.user?.id ?? null
    if (currentUser !== userId) {
      if (userId && !state.auth.token && !state.auth.expired) {
        write(storage, userId, null)
        forgetPickedImagesOf(userId)
      }
      userId = currentUser
      outbox = state.chat.outbox
      written = undefined
      // Dispatching here runs this listener again, with the user already recorded.
      if (userId) {
        store.dispatch(outboxRestored(readOutbox(storage, userId)))
        store.dispatch(reattachPickedImages())
      }
      return
    }
    if (!userId || state.chat.outbox === outbox) return
    outbox = state.chat.outbox
    const value = encode(storableItems(outbox))
    if (value === written) return
    written = value
    write(storage, userId, value)
  }
  sync()
  return store.subscribe(sync)
}
