import { describe, expect, it } from 'vitest'
import { dayKey, formatDay, formatDuration, formatLastSeen, formatListTime } from './time.js'

// Local times, so the tests hold in any time zone.
const at = (...parts) => new Date(...parts).getTime()
const iso = (...parts) => new Date(...parts).toISOString()
const NOW = at(2026, 10, 25, 14, 30) // Wed 25 Nov 2026, 14:30

describe('formatLastSeen', () => {
  it('reads like a person would say it', () => {
    expect(formatLastSeen(iso(2026, 10, 25, 14, 29, 40), NOW)).toBe('last seen just now')
    expect(formatLastSeen(iso(2026, 10, 25, 14, 25), NOW)).toBe('last seen 5 min ago')
    expect(formatLastSeen(iso(2026, 10, 25, 11, 0), NOW)).toBe('last seen 3 h ago')
    expect(formatLastSeen(iso(2026, 10, 24, 9, 5), NOW, 'en-GB')).toBe('last seen yesterday at 09:05')
    expect(formatLastSeen(iso(2026, 10, 3, 9, 5), NOW, 'en-GB')).toBe('last seen 3 Nov')
    expect(formatLastSeen(iso(2025, 10, 3, 9, 5), NOW, 'en-GB')).toBe('last seen 3 Nov 2025')
  })

  it('says offline when it does not know', () => {
    expect(formatLastSeen(null, NOW)).toBe('offline')
    expect(formatLastSeen('garbage', NOW)).toBe('offline')
  })
})

describe('day labels', () => {
  it('names recent days and dates older ones', () => {
    expect(formatDay(iso(2026, 10, 25, 8), NOW)).toBe('Today')
    expect(formatDay(iso(2026, 10, 24, 23), NOW)).toBe('Yesterday')
    expect(formatDay(iso(2026, 10, 23, 8), NOW, 'en-GB')).toBe('Monday')
    expect(formatDay(iso(2026, 10, 2, 8), NOW, 'en-GB')).toBe('2 November')
    expect(formatDay(iso(2025, 11, 31, 8), NOW, 'en-GB')).toBe('31 December 2025')
  })

  it('groups by local day', () => {
    expect(dayKey(iso(2026, 10, 25, 0, 1))).toBe(dayKey(iso(2026, 10, 25, 23, 59)))
    expect(dayKey(iso(2026, 10, 25, 23, 59))).not.toBe(dayKey(iso(2026, 10, 26, 0, 0)))
  })

  it('gives the conversation list a short time', () => {
    expect(formatListTime(iso(2026, 10, 25, 9, 7), NOW, 'en-GB')).toBe('09:07')
    expect(formatListTime(iso(2026, 10, 24, 9, 7), NOW, 'en-GB')).toBe('Yesterday')
    expect(formatListTime(iso(2026, 10, 1, 9, 7), NOW, 'en-GB')).toBe('1 Nov')
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0:00'],
    [7, '0:07'],
    [192, '3:12'],
    [3723, '1:02:03'],
  ])('%i s is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text)
  })
})
