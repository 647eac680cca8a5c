import { describe, expect, it } from 'vitest'
import { checkImageFile, formatBytes, sniffImageFormat } from './imageFile.js'

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]
const JPEG = [0xff, 0xd8, 0xff, 0xe0]
const file = (bytes, name = 'x', type = '') => new File([new Uint8Array(bytes)], name, { type })

describe('sniffImageFormat', () => {
  it('knows the formats the server takes by their first bytes', () => {
    expect(sniffImageFormat(new Uint8Array(PNG))).toBe('png')
    expect(sniffImageFormat(new Uint8Array(JPEG))).toBe('jpg')
    expect(sniffImageFormat(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp')
    expect(sniffImageFormat(new TextEncoder().encode('GIF89a'))).toBe('gif')
    expect(sniffImageFormat(new TextEncoder().encode('<svg xmlns='))).toBeNull()
  })
})

describe('checkImageFile', () => {
  it('accepts an image whatever its name or claimed type', async () => {
    expect(await checkImageFile(file(PNG, 'holiday.txt', 'text/plain'))).toEqual({ ok: true, format: 'png' })
  })

  it('refuses what is not an image even if it claims to be one', async () => {
    const result = await checkImageFile(file([1, 2, 3, 4], 'fake.jpg', 'image/jpeg'))
    expect(result).toEqual({ ok: false, error: 'Only JPEG, PNG, WebP and GIF images can be sent.' })
  })

  it('refuses a file over the limit before reading it, and an empty one', async () => {
    const big = await checkImageFile(file(JPEG.concat(new Array(2048).fill(0))), { maxBytes: 1024 })
    expect(big).toEqual({ ok: false, error: 'This image is 2 KB; the limit is 1 KB.' })
    expect((await checkImageFile(file([]))).ok).toBe(false)
  })

  it('formats sizes for people', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(5 * 1024 * 1024)).toBe('5 MB')
    expect(formatBytes(1.5 * 1024 * 1024)).toBe('1.5 MB')
  })
})
