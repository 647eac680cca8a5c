import { API_BASE, sessionRejected } from '../../app/api.js'
import { parseApiError } from '../../lib/apiError.js'
import { newClientId } from '../../lib/clientId.js'
import { uploadMultipart } from '../../lib/upload.js'
import { chatApi } from './chatApi.js'
import { forgetPickedImage, keepPickedImage, loadPickedImages } from './pickedImages.js'
import {
  historyFailed,
  historyLoaded,
  historyRequested,
  messageSent,
  messagesReadByMe,
  outboxDiscarded,
  outboxFailed,
  outboxFileReattached,
  outboxImageDropped,
  outboxImageLost,
  outboxQueued,
  outboxRequeued,
  outboxRetried,
  outboxSending,
  outboxUploaded,
  outboxUploadProgressed,
  selectThread,
  threadOpened,
  threadStartedEmpty,
} from './chatSlice.js'
import { presenceSnapshotReceived } from './presenceSlice.js'

// Thunks get the realtime connection as their extra argument
// ({realtime}: see app/store.js), so tests hand them a fake one.

const RETRY_AFTER_TIMEOUT_MS = 3000
const MAX_CATCH_UP_PAGES = 20

// Files picked for image messages, by clientId, until the message is sent or
// discarded: a failed upload is retried from them, and Files do not belong in
// the store. Until uploaded they are also kept in IndexedDB (pickedImages.js),
// so that a reload or a closed tab does not lose them.
const pickedFiles = new Map()

// How long a preview's object URL outlives its outbox item: the bubble that
// shows it goes at the next render, but an image it only just began to load
// (a file back from storage, sent at once) must not fail mid-load.
const PREVIEW_GRACE_MS = 5000

function release(item) {
  pickedFiles.delete(item.clientId)
  forgetPickedImage(item.clientId)
  const { preview } = item
  if (preview?.startsWith('blob:')) setTimeout(() => globalThis.URL?.revokeObjectURL?.(preview), PREVIEW_GRACE_MS)
}

// An image message whose picked file is here but not uploaded yet.
const needsUpload = (item) => !item.image && pickedFiles.has(item.clientId)

function messagePayload(item) {
  const payload = { to: item.peerId, clientId: item.clientId }
  if (item.text) payload.text = item.text
  if (item.image) payload.image = item.image
  return payload
}

// One flush at a time per connection, so queued messages go out in order.
const flushes = new WeakMap()

/**
 * Sends what is queued in the outbox, oldest first, one at a time, while the
 * socket is connected. A send without an answer goes back to the queue and is
 * sent again with the same clientId, which the server stores only once.
 */
export const flushOutbox = () => async (dispatch, getState, { realtime }) => {
  const flush = flushes.get(realtime) ?? { running: false, again: false }
  flushes.set(realtime, flush)
  if (flush.running) {
    flush.again = true
    return
  }
  flush.running = true
  try {
    do {
      flush.again = false
      await sendQueued(dispatch, getState, realtime)
    } while (flush.again)
  } finally {
    flush.running = false
  }
}

async function sendQueued(dispatch, getState, realtime) {
  for (;;) {
    if (!realtime.isConnected()) return
    const item = getState().chat.outbox.find((entry) => entry.status === 'queued')
    if (!item) return
    // In order: what was written after an image waits for it. Its upload's
    // end (or its file coming back from storage) flushes again.
    if (item.awaitingFile) return
    if (needsUpload(item)) {
      dispatch(outboxRetried({ clientId: item.clientId, uploading: true }))
      dispatch(uploadPicked(item.clientId))
      return
    }
    dispatch(outboxSending(item.clientId))
    let ack
    try {
      ack = await realtime.emit('send-message', messagePayload(item))
    } catch (error) {
      dispatch(outboxRequeued(item.clientId))
      // Still connected but no answer: try again soon rather than at the next connect.
      if (error?.code === 'timeout') setTimeout(() => dispatch(flushOutbox()), RETRY_AFTER_TIMEOUT_MS)
      return
    }
    if (ack?.ok) {
      dispatch(messageSent({ message: ack.message }))
      release(item)
    } else {
      const reason = ack?.error?.fields ? Object.values(ack.error.fields)[0] : null
      dispatch(outboxFailed({ clientId: item.clientId, error: reason ?? ack?.error?.message ?? 'The server refused this message.' }))
    }
  }
}

export const sendText =
  ({ peerId, text }) =>
  (dispatch) => {
    dispatch(outboxQueued({ clientId: newClientId(), peerId, text }))
    return dispatch(flushOutbox())
  }

const uploadPicked = (clientId) => async (dispatch, getState, { realtime }) => {
  const file = pickedFiles.get(clientId)
  if (!file) return
  let reported = 0
  const onProgress = (fraction) => {
    // A store update per percent is plenty for a progress bar.
    if (fraction - reported < 0.01 && fraction < 1) return
    reported = fraction
    dispatch(outboxUploadProgressed({ clientId, progress: fraction }))
  }
  try {
    const formData = new FormData()
    formData.append('file', file, file.name || 'image')
    const image = await uploadMultipart({
      url: `${API_BASE}/uploads/image`,
      formData,
      token: getState().auth.token,
      onProgress,
    })
    dispatch(outboxUploaded({ clientId, image }))
    return dispatch(flushOutbox())
  } catch (error) {
    if (error?.status === 401) dispatch(sessionRejected())
    // Offline: it waits for the next connect, as texts do. Otherwise the
    // reason is shown, with Retry.
    if (typeof error?.status !== 'number' && !realtime.isConnected()) {
      dispatch(outboxRequeued(clientId))
      return
    }
    dispatch(outboxFailed({ clientId, error: parseApiError(error)?.message ?? 'The upload failed.' }))
    // What was queued behind it goes on; the image waits for Retry.
    return dispatch(flushOutbox())
  }
}

/** Uploads `file` (already checked: lib/imageFile.js), then sends it as an image message. */
export const sendImage =
  ({ peerId, file, text = null }) =>
  (dispatch, getState, { realtime }) => {
    const clientId = newClientId()
    pickedFiles.set(clientId, file)
    const userId = getState().auth.user?.id
    if (userId) keepPickedImage(userId, clientId, file)
    const preview = globalThis.URL?.createObjectURL?.(file) ?? null
    // Offline, the upload waits for the next connect (flushOutbox starts it).
    const online = realtime.isConnected()
    dispatch(outboxQueued({ clientId, peerId, text, preview, uploading: online }))
    return online ? dispatch(uploadPicked(clientId)) : undefined
  }

/**
 * After the outbox was restored from storage (outboxStorage.js): gives the
 * image messages that were not uploaded yet their picked files back, from
 * IndexedDB, and drops the files no item needs (`keptElsewhere()`: the
 * clientIds other open tabs keep in storage). An item whose file is gone
 * fails with the reason: Remove, or send its caption alone (sendTextOnly).
 */
export const reattachPickedImages = (keptElsewhere = () => new Set()) => async (dispatch, getState) => {
  const userId = getState().auth.user?.id
  if (!userId) return
  const files = await loadPickedImages(userId)
  const outbox = getState().chat.outbox
  // Asked after the files are read: an open tab keeps its item in storage
  // before its file can be read back.
  const known = new Set([...outbox.map((item) => item.clientId), ...keptElsewhere()])
  for (const clientId of files.keys()) {
    if (!known.has(clientId)) forgetPickedImage(clientId) // sent or removed, in a tab that closed first
  }
  for (const item of outbox.filter((entry) => entry.awaitingFile)) {
    const file = files.get(item.clientId)
    if (file) {
      pickedFiles.set(item.clientId, file)
      const preview = globalThis.URL?.createObjectURL?.(file) ?? null
      dispatch(outboxFileReattached({ clientId: item.clientId, preview }))
    } else {
      dispatch(outboxImageLost({ clientId: item.clientId, error: 'The picked image is no longer available.' }))
    }
  }
  return dispatch(flushOutbox())
}

export const retryOutboxItem = (clientId) => (dispatch, getState) => {
  const item = getState().chat.outbox.find((entry) => entry.clientId === clientId)
  // A lost image cannot be sent as it was; the caption alone is the user's call.
  if (!item || item.status !== 'failed' || item.imageLost) return
  if (!item.image && pickedFiles.has(clientId)) {
    dispatch(outboxRetried({ clientId, uploading: true }))
    return dispatch(uploadPicked(clientId))
  }
  dispatch(outboxRetried({ clientId }))
  return dispatch(flushOutbox())
}

/** Sends the caption of an image message whose picked file was lost, without the image. */
export const sendTextOnly = (clientId) => (dispatch, getState) => {
  const item = getState().chat.outbox.find((entry) => entry.clientId === clientId)
  if (!item?.imageLost || !item.text) return
  forgetPickedImage(clientId)
  dispatch(outboxImageDropped(clientId))
  return dispatch(flushOutbox())
}

export const discardOutboxItem = (clientId) => (dispatch, getState) => {
  const item = getState().chat.outbox.find((entry) => entry.clientId === clientId)
  if (item) release(item)
  dispatch(outboxDiscarded(clientId))
}

/**
 * Loads one page of the peer's conversation: 'initial' (the newest),
 * 'older' (before the oldest loaded) or 'newer' (after the newest: catching up).
 * Resolves with {messages, hasMore}, or null.
 */
export const loadPage = (peerId, direction) => async (dispatch, getState) => {
  const thread = selectThread(getState(), peerId)
  if (!thread?.conversationId) return null
  const args = { conversationId: thread.conversationId }
  if (direction === 'older' && thread.ids.length) args.before = thread.ids[0]
  if (direction === 'newer' && thread.ids.length) args.after = thread.ids[thread.ids.length - 1]
  dispatch(historyRequested({ peerId, direction }))
  const result = await dispatch(chatApi.endpoints.getMessages.initiate(args, { subscribe: false, forceRefetch: true }))
  if (result.error) {
    dispatch(historyFailed({ peerId, direction }))
    return null
  }
  const { messages = [], hasMore = false } = result.data ?? {}
  dispatch(historyLoaded({ peerId, conversationId: thread.conversationId, messages, hasMore, direction }))
  return { messages, hasMore }
}

/** Opens the conversation with `peerId` (conversationId from the list, or null for a new one). */
export const openThread =
  ({ peerId, conversationId = null }) =>
  async (dispatch, getState) => {
    dispatch(threadOpened({ peerId, conversationId }))
    const thread = selectThread(getState(), peerId)
    if (thread.status === 'ready' || thread.status === 'loading') return
    if (!thread.conversationId) {
      dispatch(threadStartedEmpty({ peerId }))
      return
    }
    await dispatch(loadPage(peerId, 'initial'))
  }

export const loadOlder = (peerId) => (dispatch, getState) => {
  const thread = selectThread(getState(), peerId)
  if (!thread?.hasOlder || thread.olderStatus === 'loading') return null
  return dispatch(loadPage(peerId, 'older'))
}

/**
 * After a reconnect: fetches what each loaded conversation missed
 * (GET /messages/:id?after=), page by page. The server also pushes undelivered
 * messages again; both land de-duplicated by id.
 */
export const catchUp = () => async (dispatch, getState) => {
  for (const peerId of Object.keys(getState().chat.threads)) {
    for (let page = 0; page < MAX_CATCH_UP_PAGES; page += 1) {
      const thread = selectThread(getState(), peerId)
      if (!thread.conversationId || thread.status !== 'ready') break
      const data = await dispatch(loadPage(peerId, thread.ids.length ? 'newer' : 'initial'))
      if (!data?.hasMore) break
    }
  }
}

/** Tells the server (and so the peer) that this user has read up to `messageId`. */
export const markRead =
  ({ peerId, messageId }) =>
  async (dispatch, _getState, { realtime }) => {
    try {
      const ack = await realtime.emit('message-read', { messageId })
      if (!ack?.ok) return false
      dispatch(messagesReadByMe({ peerId, upTo: messageId, readAt: ack.readAt ?? null }))
      return true
    } catch {
      return false // offline: the view asks again once connected
    }
  }

export const notifyTyping =
  ({ peerId, active }) =>
  (_dispatch, _getState, { realtime }) =>
    realtime.send('typing', { to: peerId, active })

/** Subscribes to these users' presence and stores the snapshot the ack carries. */
export const watchPresence = (userIds) => async (dispatch, _getState, { realtime }) => {
  const ids = [...new Set(userIds)].slice(0, 500)
  if (!ids.length) return
  try {
    const ack = await realtime.emit('presence-subscribe', { userIds: ids })
    if (ack?.ok) dispatch(presenceSnapshotReceived(ack.users))
  } catch {
    // Not connected: the next connect refetches the list and subscribes again.
  }
}
