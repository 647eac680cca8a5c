// A call forced through the TURN relay (iceTransportPolicy 'relay'): a real
// coturn on loopback, the server handing out its time-limited credentials
// (TURN_URLS, TURN_SECRET), and the client's relay flag (icePolicy.js).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import dgram from 'node:dgram'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  adoptSession,
  assertNoConsoleErrors,
  framesDecoded,
  launchBrowser,
  openPerson,
  selectedLocalCandidate,
  signupViaApi,
  startServer,
  waitUntil,
} from './harness.mjs'

const SECRET = randomBytes(24).toString('hex')

// A port free for both UDP and TCP on 127.0.0.1 (coturn listens on both).
async function freePort() {
  for (let i = 0; i < 20; i += 1) {
    const port = await new Promise((resolve, reject) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port
        s.close(() => resolve(p))
      })
      s.on('error', reject)
    })
    const udpFree = await new Promise((resolve) => {
      const u = dgram.createSocket('udp4')
      u.once('error', () => resolve(false))
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)))
    })
    if (udpFree) return port
  }
  throw new Error('no free port')
}

describe('a call through the TURN relay only', { timeout: 120000 }, () => {
  const turnDir = mkdtempSync(path.join(tmpdir(), 'samwaad-e2e-turn-'))
  let turn
  let turnOutput = ''
  let turnPort
  let server
  let browser
  let alice
  let bob

  before(async () => {
    turnPort = await freePort()
    turn = spawn(
      'turnserver',
      [
        '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${turnPort}`,
        '--use-auth-secret', `--static-auth-secret=${SECRET}`, '--realm=samwaad',
        '--allow-loopback-peers', '--no-tls', '--no-dtls', '--no-cli', '--log-file=stdout', '--simple-log',
        // Its own database and pid file, not the system coturn's.
        `--userdb=${path.join(turnDir, 'turndb')}`, `--pidfile=${path.join(turnDir, 'turnserver.pid')}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    turn.stdout.on('data', (d) => (turnOutput += d))
    turn.stderr.on('data', (d) => (turnOutput += d))
    await waitUntil(() => /Total General servers|listener opened on/.test(turnOutput), 10000, 'coturn to listen')

    server = await startServer({ TURN_URLS: `turn:127.0.0.1:${turnPort}?transport=udp`, TURN_SECRET: SECRET })
    browser = await launchBrowser()
    const [A, B] = await Promise.all([signupViaApi(server.base, 'Ravi Relay'), signupViaApi(server.base, 'Tara Turn')])
    alice = await openPerson(browser, server.base, { name: 'ravi' })
    bob = await openPerson(browser, server.base, { name: 'tara' })
    for (const [person, session] of [[alice, A], [bob, B]]) {
      await adoptSession(person, session)
      // The client's documented switch: relayed candidates only.
      await person.page.evaluate(() => localStorage.setItem('samwaad.iceTransportPolicy', 'relay'))
    }
    alice.peer = B
    bob.peer = A
  })

  after(async () => {
    await browser?.close()
    turn?.kill('SIGTERM')
    rmSync(turnDir, { recursive: true, force: true })
    const result = await server?.stop()
    assert.equal(result?.code, 0, `server exit ${JSON.stringify(result)}: ${server?.output().slice(-3000)}`)
  })

  it('connects through coturn: the selected local candidate is a relay one, and frames are decoded', async () => {
    await bob.page.goto('/chat')
    await alice.page.goto(`/call/${alice.peer.user.id}`)
    await alice.page.getByRole('button', { name: 'Start video call' }).click()
    await bob.page.getByRole('alertdialog').getByRole('button', { name: 'Accept' }).click()

    for (const person of [alice, bob]) {
      await person.page.locator('[data-call-phase="active"]').waitFor({ timeout: 30000 })
      await waitUntil(async () => (await framesDecoded(person.page)) > 0, 20000, `${person.name} to decode frames`)
      const local = await selectedLocalCandidate(person.page)
      assert.equal(local?.candidateType, 'relay', `${person.name}'s selected candidate: ${JSON.stringify(local)}`)
      assert.match(local.url ?? '', new RegExp(`^turn:127\\.0\\.0\\.1:${turnPort}`), 'relayed by our coturn')
    }
    // The peer connection was really built with the relay-only policy.
    const policy = await alice.page.evaluate(() => window.__peerConnections.at(-1).getConfiguration().iceTransportPolicy)
    assert.equal(policy, 'relay')

    await bob.page.getByRole('button', { name: 'Hang up' }).click()
    await alice.page.getByTestId('call-end-reason').getByText('Tara Turn ended the call.').waitFor()
    assertNoConsoleErrors(alice, bob)
  })
})
