// Video calls between two browsers with Chromium's fake camera and
// microphone: answered (media really flows both ways), declined,
// unanswered, busy and offline, each leaving its record in the chat.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  adoptSession,
  assertNoConsoleErrors,
  framesDecoded,
  launchBrowser,
  openPerson,
  screenshot,
  signupViaApi,
  startServer,
  waitUntil,
} from './harness.mjs'

const RING_TIMEOUT_MS = 4000

async function openChatWith(person, peer) {
  await person.page.goto(`/chat/${peer.user.id}`)
  await person.page.getByTestId('thread-peer-name').filter({ hasText: peer.user.name }).waitFor()
}

async function startCall(person, peer) {
  await person.page.getByRole('link', { name: `Video call ${peer.user.name}` }).click()
  await person.page.waitForURL(`**/call/${peer.user.id}`)
}

function incomingDialog(person) {
  return person.page.getByRole('alertdialog')
}

function endReason(person) {
  return person.page.getByTestId('call-end-reason')
}

async function backToChat(person) {
  await person.page.getByRole('link', { name: 'Back to chat' }).click()
  await person.page.getByRole('log').waitFor()
}

function callRecord(person, text) {
  return person.page.getByRole('log').getByTestId('call-record').filter({ hasText: text })
}

describe('video calls', { timeout: 150000 }, () => {
  let server
  let browser
  let alice
  let bob
  let carol
  let A
  let B
  let C

  before(async () => {
    server = await startServer({ CALL_RING_TIMEOUT_MS: String(RING_TIMEOUT_MS) })
    browser = await launchBrowser()
    ;[A, B, C] = await Promise.all([
      signupViaApi(server.base, 'Asha Iyer'),
      signupViaApi(server.base, 'Bilal Khan'),
      signupViaApi(server.base, 'Chen Wei'),
    ])
    alice = await openPerson(browser, server.base, { name: 'asha', viewport: { width: 960, height: 640 } })
    bob = await openPerson(browser, server.base, { name: 'bilal', viewport: { width: 960, height: 640 } })
    await adoptSession(alice, A)
    await adoptSession(bob, B)
    await openChatWith(alice, B)
    await openChatWith(bob, A)
  })

  after(async () => {
    await browser?.close()
    const result = await server?.stop()
    assert.equal(result?.code, 0, `server exit ${JSON.stringify(result)}: ${server?.output().slice(-3000)}`)
  })

  it('calls, is answered, and video frames are decoded on both sides; hang-up leaves a record', async () => {
    await startCall(alice, B)
    await alice.page.getByTestId('call-status').getByText(/ringing/).waitFor()

    const dialog = incomingDialog(bob)
    await dialog.getByText('Asha Iyer').waitFor()
    await dialog.getByText('Incoming video call…').waitFor()
    // Focus is on Accept: a keyboard user answers with Enter.
    await waitUntil(() => bob.page.evaluate(() => document.activeElement?.textContent?.includes('Accept')), 5000, 'focus on Accept')
    await bob.page.keyboard.press('Enter')
    await bob.page.waitForURL(`**/call/${A.user.id}`)

    for (const person of [alice, bob]) {
      await person.page.locator('[data-call-phase="active"]').waitFor({ timeout: 20000 })
      await waitUntil(async () => (await framesDecoded(person.page)) > 0, 20000, `${person.name} to decode video frames`)
    }
    // The timer runs.
    await alice.page.getByTestId('call-status').getByText(/^0:0[1-9]$/).waitFor({ timeout: 10000 })

    // Controls: mute, camera off and on, the lower quality; media keeps flowing.
    const mute = alice.page.getByRole('button', { name: 'Mute microphone' })
    await mute.click()
    assert.equal(await mute.getAttribute('aria-pressed'), 'true')
    const camera = alice.page.getByRole('button', { name: 'Turn camera off' })
    await camera.click()
    assert.equal(await camera.getAttribute('aria-pressed'), 'true')
    await camera.click()
    await alice.page.getByLabel('Video quality').selectOption('sd')
    const before = await framesDecoded(bob.page)
    await waitUntil(async () => (await framesDecoded(bob.page)) > before + 10, 15000, 'frames after the quality change')
    await screenshot(bob.page, 'call')

    await alice.page.getByRole('button', { name: 'Hang up' }).click()
    await endReason(alice).getByText('Call ended.').waitFor()
    await endReason(bob).getByText('Asha Iyer ended the call.').waitFor()
    await backToChat(alice)
    await backToChat(bob)
    await callRecord(alice, /^Video call, 0:\d\d/).waitFor()
    await callRecord(bob, /^Video call, 0:\d\d/).waitFor()
  })

  it('a declined call says so on both sides', async () => {
    await startCall(alice, B)
    await incomingDialog(bob).getByRole('button', { name: 'Decline' }).click()
    await incomingDialog(bob).waitFor({ state: 'detached' })
    await endReason(alice).getByText('Bilal Khan declined the call.').waitFor()
    await backToChat(alice)
    await callRecord(alice, 'Video call declined').waitFor()
    await callRecord(bob, 'Declined video call').waitFor()
  })

  it('an unanswered call ends with "no answer" after the ring timeout', async () => {
    await startCall(alice, B)
    await incomingDialog(bob).waitFor()
    await endReason(alice).getByText('No answer from Bilal Khan.').waitFor({ timeout: RING_TIMEOUT_MS + 10000 })
    await incomingDialog(bob).waitFor({ state: 'detached' })
    await callRecord(bob, 'Missed video call').waitFor()
    await backToChat(alice)
    await callRecord(alice, 'Video call, no answer').waitFor()
  })

  it('calling someone offline, or someone already in a call, says why', async () => {
    // Chen has never opened Samwaad.
    await openChatWith(alice, C)
    await startCall(alice, C)
    await endReason(alice).getByText('Chen Wei is offline. Try again when they are online.').waitFor()

    // Chen comes online and calls Bilal while Asha is in a call with him.
    carol = await openPerson(browser, server.base, { name: 'chen', viewport: { width: 960, height: 640 } })
    await adoptSession(carol, C)
    await openChatWith(alice, B)
    await startCall(alice, B)
    await incomingDialog(bob).getByRole('button', { name: 'Accept' }).click()
    await alice.page.locator('[data-call-phase="active"]').waitFor({ timeout: 20000 })
    await openChatWith(carol, B)
    await startCall(carol, B)
    await endReason(carol).getByText('Bilal Khan is on another call. Try again later.').waitFor()

    await bob.page.getByRole('button', { name: 'Hang up' }).click()
    await endReason(alice).getByText('Bilal Khan ended the call.').waitFor()
    assertNoConsoleErrors(alice, bob, carol)
  })
})
