import { beforeEach, describe, expect, it, vi } from 'vitest'

// The ids of one tab only grow: each test starts as a fresh tab.
let newClientId
beforeEach(async () => {
  vi.resetModules()
  ;({ newClientId } = await import('./clientId.js'))
})

describe('newClientId', () => {
  it('is a version 7 UUID with the RFC 9562 variant', () => {
    const id = newClientId()
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('starts with the time in milliseconds, big-endian', () => {
    const ms = 0x0192_3456_789a
    const id = newClientId(ms)
    expect(id.slice(0, 13).replace('-', '')).toBe('01923456789a')
  })

  it('sorts by time, so a sender’s ids are appended to the server’s index', () => {
    const ids = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_060_000, 1_800_000_000_000].map(
      (ms) => newClientId(ms),
    )
    expect([...ids].sort()).toEqual(ids)
  })

  it('grows within one millisecond, past the counter’s end, and when the clock steps back', () => {
    const ms = 1_750_000_000_000
    const ids = [
      ...Array.from({ length: 5000 }, () => newClientId(ms)), // more than the 12-bit counter holds
      newClientId(ms - 60_000),
      newClientId(ms + 10),
    ]
    for (let i = 1; i < ids.length; i += 1) expect(ids[i] > ids[i - 1]).toBe(true)
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }
    // The counter carried into the time, by a millisecond or two, no more.
    const time = (id) => parseInt(id.slice(0, 13).replace('-', ''), 16)
    expect(time(ids[4999]) - ms).toBeGreaterThanOrEqual(1)
    expect(time(ids[4999]) - ms).toBeLessThanOrEqual(2)
    expect(time(ids[5001])).toBe(ms + 10)
  })
})
