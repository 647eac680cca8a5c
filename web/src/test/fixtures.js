// Objects in the contract's shapes, for tests.

export const ME = '65f1c0ffee0000000000aaaa'
export const RAVI = '65f1c0ffee0000000000bbbb'
export const CONVERSATION = '65f1c0ffee00000000000c01'

let sequence = 0x100
/** A message id that sorts after every earlier one (like the server's). */
export function nextId() {
  sequence += 1
  return `65f1c0ffee${sequence.toString(16).padStart(14, '0')}`
}

export function aMessage(overrides = {}) {
  return {
    id: nextId(),
    conversationId: CONVERSATION,
    from: RAVI,
    to: ME,
    text: 'Hello',
    image: null,
    call: null,
    clientId: null,
    delivered: false,
    deliveredAt: null,
    read: false,
    readAt: null,
    createdAt: '2026-11-25T08:24:17.123Z',
    ...overrides,
  }
}

export const ravi = {
  id: RAVI,
  name: 'Ravi Kumar',
  bio: '',
  avatar: null,
  status: 'offline',
  lastSeen: '2026-11-25T08:00:00.000Z',
  createdAt: '2026-11-01T08:00:00.000Z',
}

export function aConversation(overrides = {}) {
  return { id: CONVERSATION, peer: ravi, lastMessage: null, unreadCount: 0, updatedAt: '2026-11-25T08:24:17.123Z', ...overrides }
}
