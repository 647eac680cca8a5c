// Multipart uploads with progress. fetch() cannot report upload progress, so
// this uses XMLHttpRequest. Errors come back in RTK Query's shape
// ({status, data} / {status: 'FETCH_ERROR'}) so parseApiError reads them.

/**
 * @param {{url: string, formData: FormData, token?: string|null, method?: string,
 *          onProgress?: (fraction: number) => void, signal?: AbortSignal,
 *          timeoutMs?: number, XHR?: typeof XMLHttpRequest}} options
 * @returns {Promise<any>} the parsed JSON body of a 2xx answer
 */
export function uploadMultipart({
  url,
  formData,
  token,
  method = 'POST',
  onProgress,
  signal,
  timeoutMs = 120000, // the server gives a body 60 s; this only stops an upload that hangs for good
  XHR = globalThis.XMLHttpRequest,
}) {
  return new Promise((resolve, reject) => {
    const xhr = new XHR()
    xhr.open(method, url)
    xhr.responseType = 'text'
    xhr.timeout = timeoutMs
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`)
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress?.(Math.min(1, event.loaded / event.total))
    }
    xhr.onload = () => {
      let data
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : undefined
      } catch {
        data = xhr.responseText
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.(1)
        resolve(data)
        return
      }
      const retryAfter = Number.parseInt(xhr.getResponseHeader('Retry-After') ?? '', 10)
      reject({ status: xhr.status, data, ...(Number.isFinite(retryAfter) ? { retryAfter } : {}) })
    }
    xhr.onerror = () => reject({ status: 'FETCH_ERROR', error: 'network error' })
    xhr.ontimeout = () => reject({ status: 'TIMEOUT_ERROR', error: 'timed out' })
    xhr.onabort = () => reject({ status: 'ABORTED', error: 'cancelled' })
    signal?.addEventListener('abort', () => xhr.abort(), { once: true })
    xhr.send(formData)
  })
}
