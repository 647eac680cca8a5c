// End-to-end helpers: the real `samwaad` binary serving the built client
// (web/dist), headless Chromium from Debian driven by playwright-core, and
// small waits that always have a timeout. Run through scripts/run-e2e.sh,
// which puts all of it in a network namespace that has only loopback.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'
import { chromium } from 'playwright-core'

const here = path.dirname(fileURLToPath(import.meta.url))
export const WEB_DIST = path.resolve(here, '../dist')
export const SCREENSHOTS = path.resolve(here, '../../docs/screenshots')
export const BIN = process.env.SAMWAAD_BIN ?? path.resolve(here, '../../build/test/samwaad')
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium'

// Exactly the flags of shared/TESTING.md; every user gets a new context.
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
]

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `predicate` until it returns something truthy, or throws after `ms`. */
export async function waitUntil(predicate, ms, what, step = 100) {
  const deadline = Date.now() + ms
  let last
  for (;;) {
    try {
      last = await predicate()
      if (last) return last
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last})`)
    await sleep(step)
  }
}

/** Starts samwaad on an ephemeral loopback port with a fresh data directory. */
export async function startServer(extraEnv = {}) {
  if (!existsSync(path.join(WEB_DIST, 'index.html'))) throw new Error(`no built client in ${WEB_DIST}: run npm run build`)
  const dataDir = mkdtempSync(path.join(tmpdir(), 'samwaad-e2e-'))
  const env = {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    WEB_DIR: WEB_DIST,
    RATE_LIMITS: 'off',
    BCRYPT_COST: '4', // the lowest the server allows: sign-ups in tests need not be slow
    LOG_LEVEL: 'warn',
    ...extraEnv,
  }
  const child = spawn(BIN, ['serve'], { env, cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 20000)
    const onData = () => {
      const m = /serving on http:\/\/localhost:(\d+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        child.stdout.off('data', onData)
        resolve(Number(m[1]))
      }
    }
    child.stdout.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}: ${output}`))
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`server did not start: ${error.message}`))
    })
  })
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return {
    base: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      let timer
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => resolve({ code: null, signal: 'timeout' }), 15000)
      })
      const result = await Promise.race([exited, timeout])
      clearTimeout(timer)
      if (result.signal === 'timeout') child.kill('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
      return result
    },
  }
}

export async function api(base, method, urlPath, { token, body } = {}) {
  const headers = {}
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(base + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : undefined }
}

let counter = 0
export function uniqueEmail(name) {
  counter += 1
  return `${name.toLowerCase().replace(/\W+/g, '.')}.${process.pid}.${counter}@example.com`
}

/** Signs up through the API (for tests about something else than signing up). */
export async function signupViaApi(base, name) {
  const email = uniqueEmail(name)
  const password = 'correct horse battery'
  const res = await api(base, 'POST', '/api/v1/auth/signup', { body: { name, email, password } })
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.json)}`)
  return { ...res.json, email, password }
}

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, timeout: 30000 })
}

// Records every RTCPeerConnection a page makes, so the test can read
// getStats() without the app exposing anything for tests.
function recordPeerConnections() {
  const Native = window.RTCPeerConnection
  if (!Native || window.__peerConnections) return
  window.__peerConnections = []
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args)
      window.__peerConnections.push(this)
    }
  }
}

/**
 * A person: a new browser context (its own storage, like a fresh profile)
 * with one page, whose console errors and page errors are collected.
 */
export async function openPerson(browser, base, { viewport = { width: 1024, height: 680 }, name = 'page' } = {}) {
  const context = await browser.newContext({ viewport, baseURL: base, deviceScaleFactor: 1 })
  context.setDefaultTimeout(15000)
  await context.addInitScript(recordPeerConnections)
  const person = { context, name, errors: [], tolerated: [], pages: [] }
  person.page = await newPage(person)
  return person
}

/** Another tab for the same person (same storage: the session carries over). */
export async function newPage(person) {
  const page = await person.context.newPage()
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    const text = message.text()
    if (person.tolerated.some((pattern) => pattern.test(text))) return
    person.errors.push(`[${person.name}] console: ${text}`)
  })
  page.on('pageerror', (error) => person.errors.push(`[${person.name}] page error: ${error.message}`))
  person.pages.push(page)
  return page
}

/** Puts a session (from signupViaApi) into the person's storage, as a login would. */
export async function adoptSession(person, session) {
  await person.page.goto('/login')
  await person.page.evaluate((auth) => {
    localStorage.setItem('samwaad.auth', JSON.stringify({ v: 1, token: auth.token, user: auth.user }))
  }, session)
}

export function assertNoConsoleErrors(...people) {
  const errors = people.flatMap((person) => person?.errors ?? [])
  if (errors.length) throw new Error(`the browser reported errors:\n${errors.join('\n')}`)
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) })
}

/** Sum of framesDecoded over the page's inbound video streams (all its peer connections). */
export function framesDecoded(page) {
  return page.evaluate(async () => {
    let frames = 0
    for (const pc of window.__peerConnections ?? []) {
      if (pc.connectionState === 'closed') continue
      const stats = await pc.getStats()
      stats.forEach((report) => {
        if (report.type === 'inbound-rtp' && report.kind === 'video') frames += report.framesDecoded ?? 0
      })
    }
    return frames
  })
}

/**
 * The local candidate of the selected pair of the page's open connection:
 * {candidateType ('host', 'srflx', 'relay'), url (the TURN server, for a relay one)}.
 */
export function selectedLocalCandidate(page) {
  return page.evaluate(async () => {
    const pc = (window.__peerConnections ?? []).findLast((candidate) => candidate.connectionState !== 'closed')
    if (!pc) return null
    const stats = await pc.getStats()
    let pairId = null
    stats.forEach((report) => {
      if (report.type === 'transport' && report.selectedCandidatePairId) pairId = report.selectedCandidatePairId
    })
    const pair = pairId ? stats.get(pairId) : null
    const local = pair ? stats.get(pair.localCandidateId) : null
    return local ? { candidateType: local.candidateType, url: local.url ?? null } : null
  })
}

/** A small PNG (a diagonal shade of one colour), made here so the tests ship no binary files. */
export function makePng(width, height, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc32 = (buffer) => {
    let c = 0xffffffff
    for (const byte of buffer) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type, data) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(typed))
    return Buffer.concat([length, typed, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 2 // truecolour
  const shade = (value, x, y) => Math.round(value * (0.55 + (0.45 * (x + y)) / (width + height)))
  const rows = Array.from({ length: height }, (_, y) => {
    const row = Buffer.alloc(1 + width * 3) // filter byte 0, then RGB
    for (let x = 0; x < width; x += 1) row.set([shade(r, x, y), shade(g, x, y), shade(b, x, y)], 1 + x * 3)
    return row
  })
  const pixels = Buffer.concat(rows)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}
