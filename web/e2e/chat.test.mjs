// Two people, two browsers, one real server: sign-up, finding each other,
// live chat with typing and receipts, presence, offline delivery, the
// outbox, images and profile pictures.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  api,
  assertNoConsoleErrors,
  launchBrowser,
  makePng,
  newPage,
  openPerson,
  screenshot,
  startServer,
  uniqueEmail,
  waitUntil,
} from './harness.mjs'

const PASSWORD = 'correct horse battery'

async function signUp(person, name) {
  const { page } = person
  await page.goto('/signup')
  await page.getByLabel('Name').fill(name)
  await page.getByLabel('Email').fill(uniqueEmail(name))
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.waitForURL('**/chat')
  await page.getByRole('heading', { level: 1, name: 'Chat' }).waitFor()
}

function log(page) {
  return page.getByRole('log')
}

/** The data-status (sent / delivered / read) of my message with this text. */
function tickOf(page, text) {
  return log(page).locator('li[data-mine="true"]', { hasText: text }).getAttribute('data-status')
}

async function waitForTick(page, text, status) {
  await waitUntil(async () => (await tickOf(page, text)) === status, 10000, `"${text}" to be ${status}`)
}

async function send(page, text) {
  const box = page.getByRole('textbox', { name: /^Message to/ })
  await box.fill(text)
  await box.press('Enter')
}

describe('chat between two browsers', { timeout: 150000 }, () => {
  let server
  let browser
  let alice
  let bob
  let bobId

  before(async () => {
    server = await startServer()
    browser = await launchBrowser()
    alice = await openPerson(browser, server.base, { name: 'alice' })
    bob = await openPerson(browser, server.base, { name: 'bob' })
  })

  after(async () => {
    await browser?.close()
    const result = await server?.stop()
    assert.equal(result?.code, 0, `server exit ${JSON.stringify(result)}: ${server?.output().slice(-3000)}`)
  })

  it('signs up two people, and a session survives a reload', async () => {
    await alice.page.goto('/login')
    await alice.page.getByRole('heading', { name: 'Log in to Samwaad' }).waitFor()
    await screenshot(alice.page, 'login')
    await signUp(alice, 'Alice Rao')
    await signUp(bob, 'Bob Mehta')
    bobId = await bob.page.evaluate(() => JSON.parse(localStorage.getItem('samwaad.auth')).user.id)

    await alice.page.reload()
    await alice.page.getByTestId('current-user-name').filter({ hasText: 'Alice Rao' }).waitFor()
    assert.match(alice.page.url(), /\/chat$/)
  })

  it('finds each other and chats live: typing, delivered and read ticks, presence', async () => {
    const a = alice.page
    const b = bob.page
    await a.getByRole('searchbox', { name: 'Name or email' }).fill('bob')
    await a.getByRole('link', { name: 'Message Bob Mehta' }).click()
    await a.waitForURL(`**/chat/${bobId}`)
    await a.getByTestId('thread-peer-name').filter({ hasText: 'Bob Mehta' }).waitFor()
    await a.getByTestId('thread-peer-status').getByText('Online').waitFor()

    await send(a, 'Hi Bob! Are you there?')
    // Bob is on /chat with no conversation open: delivered, not read.
    await waitForTick(a, 'Hi Bob!', 'delivered')
    const item = b.getByRole('link', { name: /Alice Rao/ })
    await item.getByTestId('unread-badge').filter({ hasText: '1' }).waitFor()

    await item.click()
    await log(b).getByText('Hi Bob! Are you there?').waitFor()
    await waitForTick(a, 'Hi Bob!', 'read')
    await b.getByTestId('unread-badge').waitFor({ state: 'detached' })

    // Typing shows in the header, and stops with the message.
    await b.getByRole('textbox', { name: /^Message to/ }).pressSequentially('Yes, ', { delay: 20 })
    await a.getByTestId('thread-peer-status').getByText('typing…').waitFor()
    await b.getByRole('textbox', { name: /^Message to/ }).pressSequentially('here!', { delay: 20 })
    await b.getByRole('textbox', { name: /^Message to/ }).press('Enter')
    await log(a).getByText('Yes, here!').waitFor()
    await a.getByTestId('thread-peer-status').getByText('Online').waitFor()
    await waitForTick(b, 'Yes, here!', 'read')

    await send(a, 'Lunch at 1?')
    await log(a).getByText('Today', { exact: true }).first().waitFor()
  })

  it('shows "last seen" when one leaves, and delivers what they missed when they come back', async () => {
    const a = alice.page
    await bob.page.close()
    await a.getByTestId('thread-peer-status').getByText('last seen just now').waitFor()

    await send(a, 'Missed me?')
    await send(a, 'Second while away')
    await waitForTick(a, 'Second while away', 'sent')
    assert.equal(await tickOf(a, 'Missed me?'), 'sent')

    // Bob comes back in a new tab: his session is still there.
    const b = await newPage(bob)
    bob.page = b
    await b.goto('/chat')
    const item = b.getByRole('link', { name: /Alice Rao/ })
    await item.getByText('Second while away').waitFor()
    await item.getByTestId('unread-badge').filter({ hasText: '2' }).waitFor()
    await waitForTick(a, 'Second while away', 'delivered')
    await a.getByTestId('thread-peer-status').getByText('Online').waitFor()

    await item.click()
    await log(b).getByText('Missed me?').waitFor()
    await log(b).getByText('Second while away').waitFor()
    await waitForTick(a, 'Second while away', 'read')
  })

  it('keeps what is written offline in an outbox, sends it once on reconnect, and catches up', async () => {
    const a = alice.page
    const b = bob.page
    // The browser reports the network gone (as it does when Wi-Fi drops).
    await a.evaluate(() => window.dispatchEvent(new Event('offline')))
    await a.getByTestId('connection-banner').getByText('You are offline').waitFor()
    await b.getByTestId('thread-peer-status').getByText(/last seen/).waitFor()

    await send(a, 'Written offline 1')
    await send(a, 'Written offline 2')
    await log(a).getByText('Sends when you are back online').first().waitFor()
    await send(b, 'Sent while Alice was away')
    await waitForTick(b, 'Sent while Alice was away', 'sent')

    await a.evaluate(() => window.dispatchEvent(new Event('online')))
    await waitForTick(a, 'Written offline 2', 'read')
    await log(a).getByText('Sent while Alice was away').waitFor()
    await log(b).getByText('Written offline 2').waitFor()
    await a.getByTestId('connection-banner').getByText('You are offline').waitFor({ state: 'detached' })
    for (const text of ['Written offline 1', 'Written offline 2']) {
      assert.equal(await log(b).getByText(text).count(), 1, `"${text}" arrived once`)
    }
    // And still once after a reload (nothing stored twice).
    await b.reload()
    await log(b).getByText('Written offline 2').waitFor()
    assert.equal(await log(b).getByText('Written offline 1').count(), 1)
  })

  it('keeps the outbox when the tab is closed offline, and the next tab sends it, once', async () => {
    await alice.page.evaluate(() => window.dispatchEvent(new Event('offline')))
    await alice.page.getByTestId('connection-banner').getByText('You are offline').waitFor()
    await send(alice.page, 'Written before the tab closed')
    await log(alice.page).getByText('Sends when you are back online').first().waitFor()
    // Only this tab's storage has it: closing the tab is all that happens.
    await alice.page.close()

    const a = await newPage(alice)
    alice.page = a
    await a.goto(`/chat/${bobId}`)
    await waitForTick(a, 'Written before the tab closed', 'read')
    const b = bob.page
    await log(b).getByText('Written before the tab closed').waitFor()
    assert.equal(await log(b).getByText('Written before the tab closed').count(), 1)
    assert.equal(await a.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('samwaad.outbox.')).length), 0)
  })

  it('sends what a tab wrote offline from another open tab once that tab is closed, without a reload', async () => {
    const first = alice.page
    const second = await newPage(alice)
    await second.goto(`/chat/${bobId}`)
    await second.getByRole('textbox', { name: /^Message to/ }).waitFor()
    for (const page of [first, second]) {
      await page.evaluate(() => window.dispatchEvent(new Event('offline')))
      await page.getByTestId('connection-banner').getByText('You are offline').waitFor()
    }
    await send(first, 'Written in a tab closed while another stayed open')
    await log(first).getByText('Sends when you are back online').first().waitFor()
    // The other tab leaves it to the tab that wrote it while that one is open…
    await new Promise((resolve) => setTimeout(resolve, 500))
    assert.equal(await log(second).getByText('Written in a tab closed while another stayed open').count(), 0)
    await first.close()
    // …and takes it over the moment it closes (its Web Lock ends).
    await log(second).getByText('Written in a tab closed while another stayed open').waitFor()
    alice.page = second
    await second.evaluate(() => window.dispatchEvent(new Event('online')))
    await waitForTick(second, 'Written in a tab closed while another stayed open', 'read')
    await log(bob.page).getByText('Written in a tab closed while another stayed open').waitFor()
    assert.equal(await log(bob.page).getByText('Written in a tab closed while another stayed open').count(), 1)
    assert.equal(
      await second.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('samwaad.outbox.')).length),
      0,
    )
  })

  it('keeps an image picked offline, file and all, and the next tab uploads and sends it, once', async () => {
    const keptFiles = (page) =>
      page.evaluate(
        () =>
          new Promise((resolve) => {
            const open = indexedDB.open('samwaad')
            open.onerror = () => resolve(-1)
            open.onsuccess = () => {
              const db = open.result
              if (!db.objectStoreNames.contains('pickedImages')) return resolve(0)
              const count = db.transaction('pickedImages').objectStore('pickedImages').count()
              count.onsuccess = () => resolve(count.result)
            }
          }),
      )
    const images = () => log(bob.page).getByRole('button', { name: /Open image/ })
    const before = await images().count()
    // The network really gone (the upload cannot start either), and the browser saying so.
    alice.tolerated.push(/ERR_INTERNET_DISCONNECTED/)
    await alice.context.setOffline(true)
    try {
      await alice.page.evaluate(() => window.dispatchEvent(new Event('offline')))
      await alice.page.getByTestId('connection-banner').getByText('You are offline').waitFor()
      await alice.page
        .getByTestId('image-input')
        .setInputFiles({ name: 'dune.png', mimeType: 'image/png', buffer: makePng(320, 200, [200, 120, 30]) })
      await log(alice.page).getByText('Sends when you are back online').first().waitFor()
      await waitUntil(async () => (await keptFiles(alice.page)) === 1, 5000, 'the picked file kept')
      await alice.page.close()
    } finally {
      await alice.context.setOffline(false)
    }
    const a = await newPage(alice)
    alice.page = a
    await a.goto(`/chat/${bobId}`)
    await waitUntil(async () => (await images().count()) === before + 1, 15000, 'the image at Bob')
    await images().last().click()
    const full = bob.page.getByRole('dialog').locator('img')
    await waitUntil(() => full.evaluate((img) => img.complete && img.naturalWidth === 320), 10000, 'the picked image, full size')
    await bob.page.keyboard.press('Escape')
    await waitUntil(async () => (await keptFiles(a)) === 0, 5000, 'the kept file forgotten once sent')
    assert.equal(await images().count(), before + 1, 'sent once')
  })

  it('sends an image: checked, uploaded with progress, shown as a thumbnail that opens full size', async () => {
    const a = alice.page
    const b = bob.page
    // Not an image: refused before any upload.
    await a.getByTestId('image-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') })
    await a.getByRole('alert').getByText('Only JPEG, PNG, WebP and GIF images can be sent.').waitFor()

    const png = makePng(640, 400, [14, 116, 144])
    const thumbs = log(b).getByRole('button', { name: /Open image/ })
    const before = await thumbs.count()
    await a.getByTestId('image-input').setInputFiles({ name: 'sea.png', mimeType: 'image/png', buffer: png })
    await waitUntil(async () => (await thumbs.count()) === before + 1, 10000, 'the thumbnail')
    const thumb = thumbs.last()
    await waitUntil(() => thumb.locator('img').evaluate((img) => img.complete && img.naturalWidth > 0), 10000, 'thumbnail to load')
    await thumb.click()
    const dialog = b.getByRole('dialog')
    await dialog.waitFor()
    const full = dialog.locator('img')
    await waitUntil(() => full.evaluate((img) => img.complete && img.naturalWidth === 640), 10000, 'full image')
    await b.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    await waitUntil(
      async () => (await log(a).locator('li[data-mine="true"]').last().getAttribute('data-status')) === 'read',
      10000,
      'image read',
    )
    await screenshot(a, 'chat')
  })

  it('changes a profile picture, and the other sees it', async () => {
    const a = alice.page
    const b = bob.page
    await b.getByRole('link', { name: 'Profile', exact: true }).click()
    await b.getByRole('heading', { name: 'Your profile' }).waitFor()
    await b.getByTestId('avatar-input').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: makePng(200, 200, [190, 24, 93]) })
    await b.getByText('Preview: save your profile to use this picture.').waitFor()
    await b.getByRole('button', { name: 'Save profile' }).click()
    await b.getByRole('status').getByText('Profile saved.').waitFor()
    const src = await b.getByTestId('avatar-preview').locator('img').getAttribute('src')
    assert.match(src, /^\/media\/[0-9a-f]{32}_thumb\.png$/)

    await a.goto('/chat')
    const avatar = a.getByRole('link', { name: /Bob Mehta/ }).locator('img')
    await waitUntil(async () => (await avatar.getAttribute('src')) === src, 10000, "Bob's new picture in Alice's list")
    await waitUntil(() => avatar.evaluate((img) => img.complete && img.naturalWidth > 0), 10000, 'avatar to load')
  })

  it('scrolls back through a long history, page by page', async () => {
    const a = alice.page
    // 60 more messages from Bob, sent over REST with his session's token.
    const token = await bob.page.evaluate(() => JSON.parse(localStorage.getItem('samwaad.auth')).token)
    const aliceId = await a.evaluate(() => JSON.parse(localStorage.getItem('samwaad.auth')).user.id)
    for (let i = 1; i <= 60; i += 1) {
      const res = await api(server.base, 'POST', '/api/v1/messages', { token, body: { to: aliceId, text: `History ${i}`, clientId: `history-${i}` } })
      assert.equal(res.status, 201)
    }
    await a.goto(`/chat/${bobId}`)
    await log(a).getByText('History 60', { exact: true }).waitFor()
    // The newest page (50) is shown; the oldest messages are not loaded yet.
    assert.equal(await log(a).getByText('Hi Bob! Are you there?').count(), 0)
    const scroller = a.getByTestId('message-scroller')
    // Scrolling up loads older pages until there are none left.
    await waitUntil(
      async () => {
        await scroller.evaluate((el) => el.scrollTo(0, 0))
        const first = await log(a).getByText('Hi Bob! Are you there?').count()
        const more = await a.getByRole('button', { name: /older messages/ }).count()
        return first === 1 && more === 0
      },
      15000,
      'older pages to load while scrolling up',
      300,
    )
    assert.equal(await log(a).getByText('History 1', { exact: true }).count(), 1)
    await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight))
  })

  it('logged no errors in either browser', () => {
    assertNoConsoleErrors(alice, bob)
  })
})
