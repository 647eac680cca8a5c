/**
 * A fresh id for an outgoing message. The server stores a message once per
 * (sender, clientId), so resending after a lost ack can never duplicate it.
 */
export function newClientId() {
  if (globalThis.crypto?.randomUUID) return globalThis.crypto.randomUUID()
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
}
