import { describe, expect, it } from 'vitest'
import { ME, RAVI, aConversation, aMessage } from '../../test/fixtures.js'
import { describeCall, isMissedCall, previewOf } from './callRecords.js'
import { applyMessage, applyPeerChange, applyReadByMe, applyReceipt } from './conversations.js'
import { buildTimeline, newestUnreadFrom } from './timeline.js'

const call = (outcome, caller, duration = 0) => ({ id: 'c', caller, callee: caller === RAVI ? ME : RAVI, startedAt: null, duration, outcome })

describe('call records', () => {
  it.each([
    ['answered', RAVI, 192, 'Video call, 3:12'],
    ['missed', RAVI, 0, 'Missed video call'],
    ['missed', ME, 0, 'Video call, no answer'],
    ['declined', RAVI, 0, 'Declined video call'],
    ['declined', ME, 0, 'Video call declined'],
    ['busy', ME, 0, 'Video call, busy'],
    ['failed', ME, 0, 'Video call failed'],
  ])('%s, called by %s, reads "%s"', (outcome, caller, duration, text) => {
    expect(describeCall(call(outcome, caller, duration), RAVI)).toBe(text)
  })

  it('flags calls this user missed, and previews every kind of message', () => {
    expect(isMissedCall(call('missed', RAVI), RAVI)).toBe(true)
    expect(isMissedCall(call('missed', ME), RAVI)).toBe(false)
    expect(previewOf(aMessage({ text: null, image: { url: '/m.png' } }), RAVI)).toBe('Photo')
    expect(previewOf(aMessage({ text: 'look', image: { url: '/m.png' } }), RAVI)).toBe('Photo: look')
    expect(previewOf(aMessage({ text: null, call: call('missed', RAVI) }), RAVI)).toBe('Missed video call')
  })
})

describe('conversation list edits', () => {
  it('puts a new message on top, counting it unread when asked', () => {
    const other = aConversation({ id: 'other', peer: { id: 'x', name: 'X' }, updatedAt: '2026-11-25T09:00:00.000Z' })
    const list = [other, aConversation({ updatedAt: '2026-11-25T08:00:00.000Z' })]
    const message = aMessage({ createdAt: '2026-11-25T10:00:00.000Z' })
    expect(applyMessage(list, message, { countsAsUnread: true })).toBe(true)
    expect(list[0]).toMatchObject({ lastMessage: message, unreadCount: 1, updatedAt: '2026-11-25T10:00:00.000Z' })
    expect(applyMessage(list, aMessage({ conversationId: 'new' }))).toBe(false)
  })

  it('updates ticks, unread and peer details', () => {
    const last = aMessage({ from: ME, to: RAVI })
    const list = [aConversation({ lastMessage: last, unreadCount: 3 })]
    applyReceipt(list, { conversationId: last.conversationId, messageId: last.id, delivered: true, at: 't1' })
    expect(list[0].lastMessage).toMatchObject({ delivered: true, read: false })
    applyReceipt(list, { conversationId: last.conversationId, messageId: last.id, read: true, at: 't2' })
    expect(list[0].lastMessage).toMatchObject({ read: true, readAt: 't2' })
    applyReadByMe(list, RAVI)
    expect(list[0].unreadCount).toBe(0)
    applyPeerChange(list, RAVI, { status: 'online', avatar: { url: '/a.png' } })
    expect(list[0].peer).toMatchObject({ status: 'online', avatar: { url: '/a.png' } })
  })
})

describe('timeline', () => {
  it('puts a day separator before each new local day, and pending items last', () => {
    const day1 = new Date(2026, 10, 24, 10).toISOString()
    const day2 = new Date(2026, 10, 25, 10).toISOString()
    const rows = buildTimeline(
      [aMessage({ createdAt: day1 }), aMessage({ createdAt: day1 }), aMessage({ createdAt: day2 })],
      [{ clientId: 'p', createdAt: day2 }],
    )
    expect(rows.map((r) => r.type)).toEqual(['day', 'message', 'message', 'day', 'message', 'pending'])
  })

  it('finds the newest unread message from the peer', () => {
    const read = aMessage({ read: true })
    const unread = aMessage()
    const mine = aMessage({ from: ME, to: RAVI })
    expect(newestUnreadFrom([read, unread, mine], RAVI)).toBe(unread)
    expect(newestUnreadFrom([unread, read, mine], RAVI)).toBeNull()
  })
})
