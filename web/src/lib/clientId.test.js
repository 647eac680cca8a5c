import { describe, expect, it } from 'vitest'
import { newClientId } from './clientId.js'

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

  it('differs within one millisecond', () => {
    const ms = 1_700_000_000_000
    const ids = new Set(Array.from({ length: 1000 }, () => newClientId(ms)))
    expect(ids.size).toBe(1000)
  })
})
