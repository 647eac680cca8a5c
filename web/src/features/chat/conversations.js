// Pure edits of the cached conversation list (GET /conversations), applied
// with immer drafts when the socket says something changed.

function byRecency(a, b) {
  return (b.updatedAt ?? '').localeCompare(a.updatedAt ?? '')
}

/**
 * Puts a new message into its conversation: last message, time, unread
 * count, order. Returns false when the conversation is not in the list yet
 * (a first message): the caller then refetches the list.
 */
export function applyMessage(conversations, message, { countsAsUnread = false } = {}) {
  const conversation = conversations.find((c) => c.id === message.conversationId)
  if (!conversation) return false
  if (!conversation.lastMessage || conversation.lastMessage.id <= message.id) {
    conversation.lastMessage = message
    if (!conversation.updatedAt || conversation.updatedAt < message.createdAt) conversation.updatedAt = message.createdAt
  }
  if (countsAsUnread) conversation.unreadCount = (conversation.unreadCount ?? 0) + 1
  conversations.sort(byRecency)
  return true
}

/** Delivered / read ticks on the last message shown in the list. */
export function applyReceipt(conversations, { conversationId, messageId, delivered = false, read = false, at }) {
  const last = conversations.find((c) => c.id === conversationId)?.lastMessage
  if (!last) return
  // A read receipt covers every earlier message; a delivery only its own.
  if (read && last.id <= messageId && !last.read) Object.assign(last, { read: true, readAt: at, delivered: true, deliveredAt: last.deliveredAt ?? at })
  if (delivered && last.id === messageId && !last.delivered) Object.assign(last, { delivered: true, deliveredAt: at })
}

export function applyReadByMe(conversations, peerId) {
  const conversation = conversations.find((c) => c.peer?.id === peerId)
  if (conversation) conversation.unreadCount = 0
}

/** A peer's name, avatar or presence changed (user-online carries name and avatar). */
export function applyPeerChange(conversations, userId, changes) {
  for (const conversation of conversations) {
    if (conversation.peer?.id === userId) Object.assign(conversation.peer, changes)
  }
}

export function conversationWith(conversations, peerId) {
  return conversations?.find((c) => c.peer?.id === peerId) ?? null
}
