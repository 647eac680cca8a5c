import { dayKey } from '../../lib/time.js'

/**
 * The rows of a conversation: messages with a day separator before the first
 * message of each local day. Pending (unsent) items go last, under today.
 *
 * @returns {Array<{type: 'day', key: string, at: string} | {type: 'message', key: string, message: object}
 *                 | {type: 'pending', key: string, item: object}>}
 */
export function buildTimeline(messages, pending = [], now = new Date().toISOString()) {
  const rows = []
  let lastDay = null
  const separate = (at) => {
    const key = dayKey(at)
    if (key === lastDay) return
    lastDay = key
    rows.push({ type: 'day', key: `day-${key}`, at })
  }
  for (const message of messages) {
    separate(message.createdAt)
    rows.push({ type: 'message', key: message.id, message })
  }
  for (const item of pending) {
    separate(item.createdAt ?? now)
    rows.push({ type: 'pending', key: `pending-${item.clientId}`, item })
  }
  return rows
}

/** The newest message from the peer that this user has not read, or null. */
export function newestUnreadFrom(messages, peerId) {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message = messages[i]
    if (message.from === peerId) return message.read ? null : message
  }
  return null
}
