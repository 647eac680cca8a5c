import { createSelector, createSlice } from '@reduxjs/toolkit'
import {
  messageDelivered,
  messageReadConfirmed,
  messageReceived,
  messageSentElsewhere,
  peerTyping,
} from '../../app/realtimeEvents.js'

/** The client treats typing as stopped this long after its last update (CONTRACT.md). */
export const TYPING_TTL_MS = 5000

/**
 * Conversations as timelines, one per peer (every conversation is one to
 * one, and a conversation with someone found through search has no id until
 * its first message). History pages, live pushes, catch-up after a reconnect
 * and our own sends all land in the same sorted, de-duplicated list.
 *
 * threads[peerId]: {conversationId, ids (sorted oldest first), status
 *   ('idle' | 'loading' | 'ready' | 'error'), hasOlder, olderStatus}
 * messages[id]: the server's Message
 * outbox: what the user sent that the server has not acknowledged yet, oldest
 *   first: {clientId, peerId, text, image, preview, status ('uploading' |
 *   'queued' | 'sending' | 'failed'), progress, error, createdAt}; an image
 *   message restored from an earlier page load whose picked file is still
 *   being read back from storage has awaitingFile: true, one whose file did
 *   not come back has imageLost: true (failed; Remove, or send the text alone)
 * typing[peerId]: until when (ms) the peer counts as typing
 */
const initialState = { openPeerId: null, threads: {}, messages: {}, outbox: [], typing: {} }

function emptyThread(conversationId = null) {
  return { conversationId, ids: [], status: 'idle', hasOlder: false, olderStatus: 'idle' }
}

function threadFor(state, peerId, conversationId = null) {
  state.threads[peerId] ??= emptyThread(conversationId)
  const thread = state.threads[peerId]
  if (conversationId && !thread.conversationId) thread.conversationId = conversationId
  return thread
}

// Ids are MongoDB ObjectIds that grow in commit order: as fixed-length hex
// strings they sort by plain comparison.
function insertSorted(ids, id) {
  let i = ids.length
  while (i > 0 && ids[i - 1] > id) i -= 1
  if (ids[i - 1] !== id) ids.splice(i, 0, id)
}

/** Adds or refreshes messages in the peer's timeline; drops outbox items they settle. */
function addMessages(state, peerId, messages) {
  if (!messages.length) return
  const thread = threadFor(state, peerId, messages[0].conversationId)
  for (const message of messages) {
    const known = state.messages[message.id]
    // Receipts only move forward: an older copy (a catch-up page fetched
    // before a read receipt) never turns a read message back into unread.
    state.messages[message.id] = known
      ? { ...message, delivered: known.delivered || message.delivered, read: known.read || message.read,
          deliveredAt: known.deliveredAt ?? message.deliveredAt, readAt: known.readAt ?? message.readAt }
      : message
    insertSorted(thread.ids, message.id)
  }
  const settled = new Set(messages.map((m) => m.clientId).filter(Boolean))
  if (settled.size) state.outbox = state.outbox.filter((item) => !settled.has(item.clientId))
}

function markReceipts(message, { delivered, read, at }) {
  if (delivered && !message.delivered) {
    message.delivered = true
    message.deliveredAt = at
  }
  if (read && !message.read) {
    message.read = true
    message.readAt = at
    if (!message.deliveredAt) {
      message.delivered = true
      message.deliveredAt = at
    }
  }
}

function findThreadByConversation(state, conversationId) {
  return Object.entries(state.threads).find(([, thread]) => thread.conversationId === conversationId) ?? null
}

function updateOutboxItem(state, clientId, changes) {
  const item = state.outbox.find((entry) => entry.clientId === clientId)
  if (item) Object.assign(item, changes)
}

const chatSlice = createSlice({
  name: 'chat',
  initialState,
  reducers: {
    threadOpened(state, { payload: { peerId, conversationId = null } }) {
      state.openPeerId = peerId
      threadFor(state, peerId, conversationId)
    },
    threadClosed(state) {
      state.openPeerId = null
    },
    historyRequested(state, { payload: { peerId, direction } }) {
      const thread = threadFor(state, peerId)
      if (direction === 'older') thread.olderStatus = 'loading'
      else if (direction === 'initial') thread.status = 'loading'
    },
    /** direction: 'initial' (newest page), 'older' (before=), 'newer' (after=, catching up). */
    historyLoaded(state, { payload: { peerId, conversationId, messages, hasMore, direction } }) {
      const thread = threadFor(state, peerId, conversationId)
      addMessages(state, peerId, messages)
      if (direction === 'initial') {
        thread.status = 'ready'
        thread.hasOlder = hasMore
      } else if (direction === 'older') {
        thread.olderStatus = 'idle'
        thread.hasOlder = hasMore
      }
    },
    historyFailed(state, { payload: { peerId, direction } }) {
      const thread = threadFor(state, peerId)
      if (direction === 'older') thread.olderStatus = 'error'
      else if (direction === 'initial') thread.status = 'error'
    },
    /** A conversation that has no messages yet (opened from search). */
    threadStartedEmpty(state, { payload: { peerId } }) {
      const thread = threadFor(state, peerId)
      thread.status = 'ready'
      thread.hasOlder = false
    },

    outboxQueued: {
      reducer(state, { payload }) {
        state.outbox.push(payload)
      },
      prepare: ({ clientId, peerId, text = null, image = null, preview = null, uploading = false }) => ({
        payload: {
          clientId,
          peerId,
          text,
          image,
          preview,
          status: uploading ? 'uploading' : 'queued',
          progress: uploading ? 0 : 1,
          error: null,
          createdAt: new Date().toISOString(),
        },
      }),
    },
    outboxUploadProgressed(state, { payload: { clientId, progress } }) {
      updateOutboxItem(state, clientId, { progress })
    },
    outboxUploaded(state, { payload: { clientId, image } }) {
      updateOutboxItem(state, clientId, { image, status: 'queued', progress: 1, error: null })
    },
    outboxSending(state, { payload: clientId }) {
      updateOutboxItem(state, clientId, { status: 'sending' })
    },
    /** Not sent this time (offline, or no ack): stays queued for the next connect, same clientId. */
    outboxRequeued(state, { payload: clientId }) {
      updateOutboxItem(state, clientId, { status: 'queued' })
    },
    outboxFailed(state, { payload: { clientId, error } }) {
      updateOutboxItem(state, clientId, { status: 'failed', error })
    },
    outboxRetried(state, { payload: { clientId, uploading = false } }) {
      updateOutboxItem(state, clientId, { status: uploading ? 'uploading' : 'queued', error: null, progress: uploading ? 0 : 1 })
    },
    /** A restored item's picked file is back (pickedImages.js): shown from it again. */
    outboxFileReattached(state, { payload: { clientId, preview } }) {
      updateOutboxItem(state, clientId, { awaitingFile: false, preview })
    },
    /**
     * A restored image message whose picked file did not come back: it cannot
     * be retried as it was (that would send the caption alone), only removed
     * or, with the user's say-so, sent as text (outboxImageDropped).
     */
    outboxImageLost(state, { payload: { clientId, error } }) {
      updateOutboxItem(state, clientId, { awaitingFile: false, preview: null, imageLost: true, status: 'failed', error })
    },
    /** The user chose to send a lost image's caption on its own. */
    outboxImageDropped(state, { payload: clientId }) {
      updateOutboxItem(state, clientId, { imageLost: false, status: 'queued', progress: 1, error: null })
    },
    outboxDiscarded(state, { payload: clientId }) {
      state.outbox = state.outbox.filter((item) => item.clientId !== clientId)
    },
    /** Items kept from an earlier page load (outboxStorage.js): older than any of this one's. */
    outboxRestored(state, { payload: items }) {
      const known = new Set(state.outbox.map((item) => item.clientId))
      const restored = items.filter((item) => !known.has(item.clientId))
      if (restored.length) state.outbox = [...restored, ...state.outbox]
    },
    /** The server acknowledged one of our sends. */
    messageSent(state, { payload: { message } }) {
      addMessages(state, message.to, [message])
    },
    /** We told the server we read the peer's messages up to `upTo`. */
    messagesReadByMe(state, { payload: { peerId, upTo, readAt } }) {
      const thread = state.threads[peerId]
      if (!thread) return
      for (const id of thread.ids) {
        if (id > upTo) break
        const message = state.messages[id]
        if (message.from === peerId) markReceipts(message, { read: true, at: readAt ?? new Date().toISOString() })
      }
    },
  },
  extraReducers(builder) {
    builder
      .addCase(messageReceived, (state, { payload: { message } }) => {
        addMessages(state, message.from, [message])
        delete state.typing[message.from] // a message ends "typing…"
      })
      .addCase(messageSentElsewhere, (state, { payload: { message } }) => {
        addMessages(state, message.to, [message])
      })
      .addCase(messageDelivered, (state, { payload: { messageId, deliveredAt } }) => {
        const message = state.messages[messageId]
        if (message) markReceipts(message, { delivered: true, at: deliveredAt })
      })
      .addCase(messageReadConfirmed, (state, { payload: { messageId, conversationId, readAt } }) => {
        const found = findThreadByConversation(state, conversationId)
        if (!found) return
        const [peerId, thread] = found
        for (const id of thread.ids) {
          if (id > messageId) break
          const message = state.messages[id]
          if (message.from !== peerId) markReceipts(message, { read: true, at: readAt })
        }
      })
      .addCase(peerTyping, (state, { payload: { from, active }, meta }) => {
        if (active === false) delete state.typing[from]
        else state.typing[from] = (meta?.receivedAt ?? 0) + TYPING_TTL_MS
      })
  },
})

export const {
  threadOpened,
  threadClosed,
  historyRequested,
  historyLoaded,
  historyFailed,
  threadStartedEmpty,
  outboxQueued,
  outboxUploadProgressed,
  outboxUploaded,
  outboxSending,
  outboxRequeued,
  outboxFailed,
  outboxRetried,
  outboxDiscarded,
  outboxFileReattached,
  outboxImageLost,
  outboxImageDropped,
  outboxRestored,
  messageSent,
  messagesReadByMe,
} = chatSlice.actions
export const chatReducer = chatSlice.reducer

// Selectors take the root state.
export const selectOpenPeerId = (state) => state.chat.openPeerId
export const selectThread = (state, peerId) => state.chat.threads[peerId] ?? null
export const selectOutbox = (state) => state.chat.outbox
export const selectTypingUntil = (state, peerId) => state.chat.typing[peerId] ?? 0

const EMPTY = []
export const selectThreadMessages = createSelector(
  [(state) => state.chat.messages, (state, peerId) => state.chat.threads[peerId]?.ids],
  (messages, ids) => (ids ? ids.map((id) => messages[id]) : EMPTY),
)

export const selectPendingFor = createSelector(
  [(state) => state.chat.outbox, (_state, peerId) => peerId],
  (outbox, peerId) => {
    const pending = outbox.filter((item) => item.peerId === peerId)
    return pending.length ? pending : EMPTY
  },
)
