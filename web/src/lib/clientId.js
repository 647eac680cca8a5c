/**
 * A fresh id for an outgoing message. The server stores a message once per
 * (sender, clientId), so resending after a lost ack can never duplicate it.
 *
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. The
 * server keeps a unique index on (sender, clientId); with random (v4) ids each
 * message lands on a random page of the sender's part of that index, so a
 * long-lived database writes one more page per message. Time-ordered ids are
 * appended where the sender's previous ones are (docs/benchmarks.md).
 */
export function newClientId(nowMs = Date.now()) {
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  let ms = Math.max(0, Math.floor(nowMs))
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = ms % 256
    ms = Math.floor(ms / 256)
  }
  bytes[6] = 0x70 | (bytes[6] & 0x0f) // version 7
  bytes[8] = 0x80 | (bytes[8] & 0x3f) // variant 10
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
