// Checks a picked image before it is uploaded, with the server's rules
// (docs/api.md, Uploads): JPEG, PNG, WebP or GIF by their first bytes, and
// at most the upload limit. The server decides in the end; this saves the
// user a slow upload that would be refused.

/** The server's default MAX_CHAT_IMAGE_MB (5 MiB); the server's 413 covers other settings. */
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024
export const ACCEPTED_IMAGE_TYPES = 'image/jpeg,image/png,image/webp,image/gif'

/** The format named by a file's first bytes, or null. */
export function sniffImageFormat(bytes) {
  const b = bytes
  const ascii = (from, to) => String.fromCharCode(...b.slice(from, to))
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpg'
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a) return 'png'
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp'
  if (b.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'gif'
  return null
}

function readHead(file, count) {
  const blob = file.slice(0, count)
  if (typeof blob.arrayBuffer === 'function') return blob.arrayBuffer()
  return new Response(blob).arrayBuffer()
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`
}

/**
 * @param {File|Blob} file
 * @returns {Promise<{ok: true, format: string} | {ok: false, error: string}>}
 */
export async function checkImageFile(file, { maxBytes = MAX_IMAGE_BYTES } = {}) {
  if (!file) return { ok: false, error: 'Choose an image.' }
  if (file.size === 0) return { ok: false, error: 'This file is empty.' }
  if (file.size > maxBytes) {
    return { ok: false, error: `This image is ${formatBytes(file.size)}; the limit is ${formatBytes(maxBytes)}.` }
  }
  const format = sniffImageFormat(new Uint8Array(await readHead(file, 16)))
  if (!format) return { ok: false, error: 'Only JPEG, PNG, WebP and GIF images can be sent.' }
  return { ok: true, format }
}
