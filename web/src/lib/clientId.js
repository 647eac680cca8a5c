/**
 * A fresh id for an outgoing message. The server stores a message once per
 * (sender, clientId), so resending after a lost ack can never duplicate it.
 *
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit counter, then
 * 62 random bits. The server keeps a unique index on (sender, clientId); with
 * random (v4) ids each message lands on a random page of the sender's part of
 * that index, so a long-lived database writes one more page per message.
 * Time-ordered ids are appended where the sender's previous ones are, and an
 * id above every one the sender has stored needs no look-up to rule out a
 * repeat (docs/benchmarks.md). So ids from one tab strictly increase, also
 * within a millisecond (the outbox sends what it held all at once) and when
 * the clock steps back: the RFC's method 1, a counter that starts at a random
 * value below 2048 in each new millisecond and carries into the time when it
 * runs out.
 */
let lastMs = -1
let counter = 0

export function newClientId(nowMs = Date.now()) {
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  let ms = Math.max(0, Math.floor(nowMs))
  if (ms > lastMs) {
    counter = ((bytes[6] & 0x07) << 8) | bytes[7] // leaves room to count up
  } else {
    ms = lastMs
    counter += 1
    if (counter > 0xfff) {
      ms += 1
      counter = 0
    }
  }
  lastMs = ms
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = ms % 256
    ms = Math.floor(ms / 256)
  }
  bytes[6] = 0x70 | (counter >> 8) // version 7, then the counter's top 4 bits
  bytes[7] = counter & 0xff
  bytes[8] = 0x80 | (bytes[8] & 0x3f) // variant 10
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
