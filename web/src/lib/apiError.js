// Turns whatever RTK Query (or a thrown error) hands us into one shape the UI
// can show:  { status, code, message, fields, retryAfter }.
//
// The server always answers errors as
//   {"error": {"code": "validation", "message": "...", "fields": {"email": "..."}}}
// but a proxy in between may answer with HTML, the network may be down, or the
// request may time out, so every case ends in a sensible human message.

const CODE_BY_STATUS = {
  400: 'validation',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
}

const DEFAULT_MESSAGES = {
  validation: 'Please check the highlighted fields.',
  unauthorized: 'Please log in again.',
  forbidden: "You don't have access to that.",
  not_found: "We couldn't find that.",
  conflict: 'That conflicts with something that already exists.',
  payload_too_large: 'That file is too large.',
  unsupported_media_type: "That file type isn't supported.",
  rate_limited: 'Too many attempts. Please wait a moment and try again.',
  unavailable: 'Samwaad is temporarily unavailable. Please try again shortly.',
  internal: 'Something went wrong on our side. Please try again.',
  network: "Can't reach Samwaad. Check your connection and try again.",
  timeout: 'The server took too long to answer. Please try again.',
  unknown: 'Something went wrong. Please try again.',
}

export function codeForStatus(status) {
  if (CODE_BY_STATUS[status]) return CODE_BY_STATUS[status]
  if (typeof status === 'number' && status >= 500) return 'internal'
  return 'unknown'
}

function stringFields(fields) {
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return {}
  const out = {}
  for (const [name, message] of Object.entries(fields)) {
    if (typeof message === 'string' && message.trim()) out[name] = message.trim()
  }
  return out
}

function withWait(message, retryAfter) {
  if (!retryAfter) return message
  const unit = retryAfter === 1 ? 'second' : 'seconds'
  return `Too many attempts. Try again in ${retryAfter} ${unit}.`
}

/**
 * @param {unknown} error  an RTK Query error ({status, data}), a SerializedError
 *                         ({message}) or anything else
 * @returns {{status: number|null, code: string, message: string,
 *            fields: Record<string,string>, retryAfter: number|null} | null}
 */
export function parseApiError(error) {
  if (error == null) return null

  const status = error.status
  const retryAfter = Number.isFinite(error.retryAfter) ? error.retryAfter : null

  if (status === 'FETCH_ERROR') {
    return { status: null, code: 'network', message: DEFAULT_MESSAGES.network, fields: {}, retryAfter }
  }
  if (status === 'TIMEOUT_ERROR') {
    return { status: null, code: 'timeout', message: DEFAULT_MESSAGES.timeout, fields: {}, retryAfter }
  }

  // A response that was not JSON (e.g. an HTML 502 page from a proxy).
  const httpStatus = status === 'PARSING_ERROR' ? error.originalStatus : status

  if (typeof httpStatus === 'number') {
    const body = error.data?.error
    const code = typeof body?.code === 'string' && body.code ? body.code : codeForStatus(httpStatus)
    let message =
      typeof body?.message === 'string' && body.message.trim()
        ? body.message.trim()
        : (DEFAULT_MESSAGES[code] ?? DEFAULT_MESSAGES.unknown)
    if (code === 'rate_limited') message = withWait(message, retryAfter)
    return { status: httpStatus, code, message, fields: stringFields(body?.fields), retryAfter }
  }

  // SerializedError from a thrown exception, or a plain Error.
  const message = typeof error.message === 'string' && error.message ? error.message : DEFAULT_MESSAGES.unknown
  return { status: null, code: 'unknown', message, fields: {}, retryAfter }
}

function sentenceCase(text) {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/**
 * Splits a parsed error for a form: messages for fields the form shows go to
 * those fields; everything else (other fields, or no fields at all) becomes
 * the general error shown above the form.
 *
 * @param {ReturnType<typeof parseApiError>} parsed
 * @param {string[]} formFields  names of the inputs the form renders
 * @returns {{fieldErrors: Record<string,string>, formError: string|null}}
 */
export function toFormErrors(parsed, formFields) {
  if (!parsed) return { fieldErrors: {}, formError: null }
  const fieldErrors = {}
  const leftover = []
  for (const [name, message] of Object.entries(parsed.fields)) {
    if (formFields.includes(name)) fieldErrors[name] = sentenceCase(message)
    else leftover.push(`${name}: ${message}`)
  }
  let formError = null
  if (leftover.length) formError = `${parsed.message} (${leftover.join('; ')})`
  else if (Object.keys(fieldErrors).length === 0) formError = parsed.message
  return { fieldErrors, formError }
}

/** Parses an HTTP Retry-After header (seconds or an HTTP date) into whole seconds. */
export function parseRetryAfter(value, now = Date.now()) {
  if (value == null || value === '') return null
  const text = String(value).trim()
  if (/^\d+$/.test(text)) return Number(text)
  const at = Date.parse(text)
  if (Number.isNaN(at)) return null
  return Math.max(0, Math.ceil((at - now) / 1000))
}
