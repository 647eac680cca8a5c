// Client-side checks that mirror the server's rules (see CONTRACT.md), so the
// user hears about obvious mistakes before a round trip. The server stays the
// authority: its field errors are shown the same way.

export const NAME_MIN = 2
export const NAME_MAX = 64
export const PASSWORD_MIN_BYTES = 8
export const PASSWORD_MAX_BYTES = 72
export const BIO_MAX = 280

/** Length in Unicode code points (what a user counts), not UTF-16 units. */
export function charCount(text) {
  return [...text].length
}

export function byteLength(text) {
  return new TextEncoder().encode(text).length
}

export function validateName(name) {
  const length = charCount(name.trim())
  if (length === 0) return 'Enter your name.'
  if (length < NAME_MIN) return `Use at least ${NAME_MIN} characters.`
  if (length > NAME_MAX) return `Use at most ${NAME_MAX} characters.`
  return null
}

export function validateEmail(email) {
  const value = email.trim()
  if (!value) return 'Enter your email address.'
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return 'Enter an email address like name@example.com.'
  return null
}

export function validateNewPassword(password) {
  if (!password) return 'Choose a password.'
  const bytes = byteLength(password)
  if (bytes < PASSWORD_MIN_BYTES) return `Use at least ${PASSWORD_MIN_BYTES} characters.`
  if (bytes > PASSWORD_MAX_BYTES) return `Use at most ${PASSWORD_MAX_BYTES} bytes (fewer if you use accents or emoji).`
  return null
}

export function validateBio(bio) {
  if (charCount(bio) > BIO_MAX) return `Keep your bio to ${BIO_MAX} characters.`
  return null
}

/** Names of the entries in `errors` that are set, in `order`. */
export function firstInvalid(order, errors) {
  return order.find((name) => errors[name]) ?? null
}
