import { describe, expect, it } from 'vitest'
import { messageDelivered, messageReadConfirmed, messageReceived, messageSentElsewhere, peerTyping } from '../../app/realtimeEvents.js'
import { makeStore } from '../../app/store.js'
import { CONVERSATION, ME, RAVI, aMessage } from '../../test/fixtures.js'
import {
  chatReducer,
  historyLoaded,
  messageSent,
  messagesReadByMe,
  outboxQueued,
  selectPendingFor,
  selectThreadMessages,
  threadOpened,
} from './chatSlice.js'

const reduce = (actions, state = undefined) => actions.reduce(chatReducer, state)

describe('chat slice: one timeline per peer', () => {
  it('merges history pages, live pushes and catch-up into one sorted list without duplicates', () => {
    const [m1, m2, m3, m4] = [aMessage(), aMessage({ from: ME, to: RAVI }), aMessage(), aMessage()]
    const state = reduce([
      threadOpened({ peerId: RAVI, conversationId: CONVERSATION }),
      messageReceived({ message: m4 }), // pushed while the first page loads
      historyLoaded({ peerId: RAVI, conversationId: CONVERSATION, messages: [m2, m3], hasMore: true, direction: 'initial' }),
      historyLoaded({ peerId: RAVI, conversationId: CONVERSATION, messages: [m1], hasMore: false, direction: 'older' }),
      historyLoaded({ peerId: RAVI, conversationId: CONVERSATION, messages: [m3, m4], hasMore: false, direction: 'newer' }),
      messageReceived({ message: m4 }), // pushed again after a reconnect
    ])
    expect(state.threads[RAVI]).toMatchObject({ ids: [m1.id, m2.id, m3.id, m4.id], status: 'ready', hasOlder: false })
  })

  it('files messages under the peer: received by sender, sent by recipient', () => {
    const mineElsewhere = aMessage({ from: ME, to: RAVI })
    const state = reduce([messageReceived({ message: aMessage() }), messageSentElsewhere({ message: mineElsewhere })])
    expect(state.threads[RAVI].ids).toHaveLength(2)
    expect(state.threads[RAVI].conversationId).toBe(CONVERSATION)
  })

  it('moves ticks forward only: delivered, then read for everything up to the confirmed message', () => {
    const [a, b, c] = [aMessage({ from: ME, to: RAVI }), aMessage({ from: ME, to: RAVI }), aMessage({ from: ME, to: RAVI })]
    let state = reduce([historyLoaded({ peerId: RAVI, conversationId: CONVERSATION, messages: [a, b, c], hasMore: false, direction: 'initial' })])
    state = reduce(
      [
        messageDelivered({ messageId: a.id, conversationId: CONVERSATION, deliveredAt: '2026-11-25T08:25:00.000Z' }),
        messageReadConfirmed({ messageId: b.id, conversationId: CONVERSATION, readAt: '2026-11-25T08:26:00.000Z' }),
      ],
      state,
    )
    expect(state.messages[a.id]).toMatchObject({ delivered: true, read: true })
    expect(state.messages[b.id]).toMatchObject({ delivered: true, read: true, readAt: '2026-11-25T08:26:00.000Z' })
    expect(state.messages[c.id]).toMatchObject({ delivered: false, read: false })
    // An older copy from a catch-up page does not undo the receipt.
    state = reduce([historyLoaded({ peerId: RAVI, conversationId: CONVERSATION, messages: [b], hasMore: false, direction: 'newer' })], state)
    expect(state.messages[b.id].read).toBe(true)
  })

  it('marks what this user read, only the peer messages up to that one', () => {
    const [p1, mine, p2] = [aMessage(), aMessage({ from: ME, to: RAVI }), aMessage()]
    let state = reduce([historyLoaded({ peerId: RAVI, conversationId: CONVERSATION, messages: [p1, mine, p2], hasMore: false, direction: 'initial' })])
    state = reduce([messagesReadByMe({ peerId: RAVI, upTo: p1.id, readAt: 'now' })], state)
    expect([state.messages[p1.id].read, state.messages[mine.id].read, state.messages[p2.id].read]).toEqual([true, false, false])
  })

  it('settles an outbox item when the server returns its message, by clientId', () => {
    let state = reduce([outboxQueued({ clientId: 'c-1', peerId: RAVI, text: 'Hi' })])
    expect(state.outbox).toMatchObject([{ clientId: 'c-1', status: 'queued', text: 'Hi' }])
    state = reduce([messageSent({ message: aMessage({ from: ME, to: RAVI, text: 'Hi', clientId: 'c-1' }) })], state)
    expect(state.outbox).toEqual([])
    expect(state.threads[RAVI].ids).toHaveLength(1)
  })

  it('keeps typing for 5 s after the last update, and stops it on "inactive" or a message', () => {
    const typing = peerTyping({ from: RAVI, active: true })
    let state = reduce([typing])
    expect(state.typing[RAVI]).toBe(typing.meta.receivedAt + 5000)
    expect(reduce([peerTyping({ from: RAVI, active: false })], state).typing[RAVI]).toBeUndefined()
    state = reduce([messageReceived({ message: aMessage() })], state)
    expect(state.typing[RAVI]).toBeUndefined()
  })

  it('selects messages and pending items of one conversation', () => {
    const store = makeStore({ auth: { token: 't', user: null, expired: false } })
    store.dispatch(messageReceived({ message: aMessage({ text: 'one' }) }))
    store.dispatch(outboxQueued({ clientId: 'c', peerId: RAVI, text: 'two' }))
    expect(selectThreadMessages(store.getState(), RAVI).map((m) => m.text)).toEqual(['one'])
    expect(selectPendingFor(store.getState(), RAVI).map((i) => i.text)).toEqual(['two'])
    expect(selectThreadMessages(store.getState(), 'nobody')).toBe(selectThreadMessages(store.getState(), 'other'))
  })
})
