// The files picked for image messages that are not uploaded yet, kept in
// IndexedDB (localStorage holds only strings; IndexedDB stores a File as it
// is), so that an image picked offline survives a reload or a closed tab like
// the rest of the outbox (outboxStorage.js). Keyed by the message's clientId,
// tagged with the user. Every call settles, never rejects: without IndexedDB
// (private windows of some browsers, a full disk) the outbox only loses that.

const DB_NAME = 'samwaad'
const STORE = 'pickedImages'

function open(idb) {
  return new Promise((resolve) => {
    if (!idb) return resolve(null)
    let request
    try {
      request = idb.open(DB_NAME, 1)
    } catch {
      return resolve(null)
    }
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(STORE, { keyPath: 'clientId' })
      store.createIndex('userId', 'userId')
    }
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => resolve(null)
    request.onblocked = () => resolve(null)
  })
}

// Runs `work(store)` in one transaction; resolves with what it returned once
// the transaction is done (`fallback` if anything failed).
async function inStore(idb, mode, fallback, work) {
  const db = await open(idb)
  if (!db) return fallback
  return new Promise((resolve) => {
    let result = fallback
    try {
      const tx = db.transaction(STORE, mode)
      result = work(tx.objectStore(STORE))
      tx.oncomplete = () => {
        db.close()
        resolve(typeof result === 'function' ? result() : result)
      }
      tx.onerror = tx.onabort = () => {
        db.close()
        resolve(fallback)
      }
    } catch {
      db.close()
      resolve(fallback)
    }
  })
}

const defaultIdb = () => globalThis.indexedDB

/** Keeps `file` for the user's message `clientId` until it is forgotten. Resolves true if kept. */
export function keepPickedImage(userId, clientId, file, idb = defaultIdb()) {
  return inStore(idb, 'readwrite', false, (store) => {
    store.put({ clientId, userId, file, name: file.name ?? 'image', type: file.type ?? '' })
    return true
  })
}

/** The user's kept files: a Map from clientId to File (or Blob). */
export function loadPickedImages(userId, idb = defaultIdb()) {
  return inStore(idb, 'readonly', new Map(), (store) => {
    const found = new Map()
    const request = store.index('userId').getAll(userId)
    request.onsuccess = () => {
      for (const row of request.result ?? []) {
        if (row?.clientId && row.file) found.set(row.clientId, row.file)
      }
    }
    return () => found
  })
}

/** Forgets the file of one message (sent, or discarded). */
export function forgetPickedImage(clientId, idb = defaultIdb()) {
  return inStore(idb, 'readwrite', false, (store) => {
    store.delete(clientId)
    return true
  })
}

/** Forgets every file of the user (an explicit logout). */
export function forgetPickedImagesOf(userId, idb = defaultIdb()) {
  return inStore(idb, 'readwrite', false, (store) => {
    const request = store.index('userId').getAllKeys(userId)
    request.onsuccess = () => {
      for (const key of request.result ?? []) store.delete(key)
    }
    return true
  })
}
