import { describe, expect, it } from 'vitest'
import { parseApiError, parseRetryAfter, toFormErrors } from './apiError.js'

describe('parseApiError', () => {
  it('reads the contract error shape with field errors', () => {
    const parsed = parseApiError({
      status: 400,
      data: { error: { code: 'validation', message: 'invalid input', fields: { email: 'must be a valid email' } } },
    })
    expect(parsed).toEqual({
      status: 400,
      code: 'validation',
      message: 'invalid input',
      fields: { email: 'must be a valid email' },
      retryAfter: null,
    })
  })

  it('keeps only string field messages', () => {
    const parsed = parseApiError({
      status: 400,
      data: { error: { code: 'validation', message: 'bad', fields: { a: 'x', b: 3, c: null, d: '  ' } } },
    })
    expect(parsed.fields).toEqual({ a: 'x' })
  })

  it('falls back to the status when the body is not the contract shape', () => {
    expect(parseApiError({ status: 409, data: 'Conflict' })).toMatchObject({
      status: 409,
      code: 'conflict',
      fields: {},
    })
    expect(parseApiError({ status: 502, data: undefined }).code).toBe('internal')
  })

  it('handles a non-JSON answer (e.g. an HTML page from a proxy)', () => {
    const parsed = parseApiError({ status: 'PARSING_ERROR', originalStatus: 503, data: '<html>', error: 'SyntaxError' })
    expect(parsed).toMatchObject({ status: 503, code: 'unavailable' })
    expect(parsed.message).toMatch(/temporarily unavailable/)
  })

  it('explains network failures and timeouts', () => {
    expect(parseApiError({ status: 'FETCH_ERROR', error: 'TypeError: Failed to fetch' })).toMatchObject({
      status: null,
      code: 'network',
    })
    expect(parseApiError({ status: 'TIMEOUT_ERROR', error: 'AbortError' }).code).toBe('timeout')
  })

  it('says how long to wait when rate limited', () => {
    const parsed = parseApiError({
      status: 429,
      retryAfter: 30,
      data: { error: { code: 'rate_limited', message: 'slow down' } },
    })
    expect(parsed).toMatchObject({ code: 'rate_limited', retryAfter: 30 })
    expect(parsed.message).toBe('Too many attempts. Try again in 30 seconds.')
  })

  it('handles thrown errors and nothing at all', () => {
    expect(parseApiError({ name: 'Error', message: 'boom' })).toMatchObject({ code: 'unknown', message: 'boom' })
    expect(parseApiError(undefined)).toBeNull()
  })
})

describe('toFormErrors', () => {
  const validation = (fields) => parseApiError({ status: 400, data: { error: { code: 'validation', message: 'invalid input', fields } } })

  it('puts field errors at the form fields, capitalised, with no general error', () => {
    expect(toFormErrors(validation({ email: 'must be a valid email' }), ['email', 'password'])).toEqual({
      fieldErrors: { email: 'Must be a valid email' },
      formError: null,
    })
  })

  it('reports fields the form does not show in the general error', () => {
    const { fieldErrors, formError } = toFormErrors(validation({ email: 'taken', avatar: 'too big' }), ['email'])
    expect(fieldErrors).toEqual({ email: 'Taken' })
    expect(formError).toBe('invalid input (avatar: too big)')
  })

  it('uses the message as the general error when there are no fields', () => {
    const parsed = parseApiError({ status: 401, data: { error: { code: 'unauthorized', message: 'wrong email or password' } } })
    expect(toFormErrors(parsed, ['email'])).toEqual({ fieldErrors: {}, formError: 'wrong email or password' })
    expect(toFormErrors(null, ['email'])).toEqual({ fieldErrors: {}, formError: null })
  })
})

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120)
    const now = Date.parse('2026-11-25T08:00:00Z')
    expect(parseRetryAfter('Wed, 25 Nov 2026 08:00:10 GMT', now)).toBe(10)
    expect(parseRetryAfter('soon')).toBeNull()
    expect(parseRetryAfter(null)).toBeNull()
  })
})
