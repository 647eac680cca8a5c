import { describe, expect, it } from 'vitest'
import { uploadMultipart } from './upload.js'

/** An XMLHttpRequest that answers as told, reporting upload progress first. */
function fakeXhr({ status = 201, body = '{}', headers = {}, progress = [], fail = false }) {
  const instances = []
  class FakeXHR {
    constructor() {
      this.upload = {}
      this.headers = {}
      instances.push(this)
    }
    open(method, url) {
      Object.assign(this, { method, url })
    }
    setRequestHeader(name, value) {
      this.headers[name] = value
    }
    getResponseHeader(name) {
      return headers[name] ?? null
    }
    abort() {
      this.onabort?.()
    }
    send(body) {
      this.body = body
      queueMicrotask(() => {
        for (const [loaded, total] of progress) this.upload.onprogress?.({ lengthComputable: true, loaded, total })
        if (fail) return this.onerror?.()
        this.status = status
        this.responseText = typeof body === 'string' ? body : JSON.stringify(bodyOut)
        this.onload?.()
      })
    }
  }
  const bodyOut = typeof body === 'string' ? JSON.parse(body) : body
  FakeXHR.instances = instances
  return FakeXHR
}

describe('uploadMultipart', () => {
  it('sends the form with the token and reports progress', async () => {
    const XHR = fakeXhr({ status: 201, body: { url: '/media/a.png' }, progress: [[50, 200], [200, 200]] })
    const form = new FormData()
    const seen = []
    const result = await uploadMultipart({ url: '/api/v1/uploads/image', formData: form, token: 't', onProgress: (f) => seen.push(f), XHR })
    expect(result).toEqual({ url: '/media/a.png' })
    expect(seen).toEqual([0.25, 1, 1])
    const [xhr] = XHR.instances
    expect(xhr.method).toBe('POST')
    expect(xhr.headers.Authorization).toBe('Bearer t')
    expect(xhr.body).toBe(form)
  })

  it('rejects with the contract error and Retry-After, in RTK Query shape', async () => {
    const error = { error: { code: 'rate_limited', message: 'slow down' } }
    const XHR = fakeXhr({ status: 429, body: error, headers: { 'Retry-After': '30' } })
    await expect(uploadMultipart({ url: '/u', formData: new FormData(), XHR })).rejects.toEqual({ status: 429, data: error, retryAfter: 30 })
  })

  it('reports a network failure as FETCH_ERROR', async () => {
    const XHR = fakeXhr({ fail: true })
    await expect(uploadMultipart({ url: '/u', formData: new FormData(), XHR })).rejects.toMatchObject({ status: 'FETCH_ERROR' })
  })
})
