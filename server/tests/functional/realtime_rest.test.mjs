// The REST half of chat and its realtime effects: POST /messages pushes to
// sockets, GET /messages pagination, POST /conversations/:id/read, and
// authorisation and validation on every route.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  signup,
  expectError,
  connectSocket,
  waitFor,
  waitUntil,
  collect,
  closeAll,
  sleep,
  sendMessage,
  checkMessage,
  ISO_TIME,
  stopClean,
} from './harness.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await stopClean(server);
});

const post = (token, body) => server.api('POST', '/api/v1/messages', { token, body });
const page = (token, cid, query = '') => server.api('GET', `/api/v1/messages/${cid}${query}`, { token });

for (const transports of [['websocket'], ['polling']]) {
  test(`[${transports[0]}] POST /messages: 201, recipient sockets get message-received, sender sockets message-sent`, async () => {
    const A = await signup(server);
    const B = await signup(server);
    const bGot = [];
    const b = await connectSocket(server.base, {
      token: B.token,
      transports,
      setup: (s) => s.on('message-received', (p, ack) => {
        bGot.push(p.message);
        if (typeof ack === 'function') ack();
      }),
    });
    const a = await connectSocket(server.base, { token: A.token, transports });
    const aSent = collect(a, 'message-sent');
    try {
      const delivered = waitFor(a, 'message-delivered');
      const res = await post(A.token, { to: B.user.id, text: 'over rest', clientId: `rest-${transports[0]}` });
      assert.equal(res.status, 201, res.text);
      const message = checkMessage(res.json.message, { from: A.user.id, to: B.user.id, text: 'over rest' });
      assert.equal(message.delivered, false);
      await waitUntil(() => bGot.length === 1 && aSent.length === 1, 5000, 'push after REST send');
      assert.equal(bGot[0].id, message.id);
      assert.equal(aSent[0].message.id, message.id);
      assert.equal((await delivered).messageId, message.id);

      // Repeating the clientId returns the first message with 200, and pushes nothing.
      const again = await post(A.token, { to: B.user.id, text: 'over rest', clientId: `rest-${transports[0]}` });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json.message.id, message.id);
      await sleep(400);
      assert.equal(bGot.length, 1);
      assert.equal(aSent.length, 1);

      // POST /conversations/:id/read → message-read-confirm to the sender.
      const confirm = waitFor(a, 'message-read-confirm');
      const read = await server.api('POST', `/api/v1/conversations/${message.conversationId}/read`, {
        token: B.token,
        body: { upTo: message.id },
      });
      assert.equal(read.status, 200, read.text);
      const c = await confirm;
      assert.equal(c.messageId, message.id);
      assert.equal(c.conversationId, message.conversationId);
      assert.match(c.readAt, ISO_TIME);
      const convs = await server.api('GET', '/api/v1/conversations', { token: B.token });
      assert.equal(convs.json.conversations.find((x) => x.id === message.conversationId).unreadCount, 0);
    } finally {
      closeAll(a, b);
    }
  });
}

test('POST /messages validation and errors', async () => {
  const A = await signup(server);
  const B = await signup(server);
  expectError(await post(undefined, { to: B.user.id, text: 'x' }), 401, 'unauthorized');
  expectError(await post(A.token, { text: 'x' }), 400, 'validation', 'to');
  expectError(await post(A.token, { to: 'nope', text: 'x' }), 400, 'validation', 'to');
  expectError(await post(A.token, { to: B.user.id }), 400, 'validation', 'text');
  expectError(await post(A.token, { to: B.user.id, text: '' }), 400, 'validation', 'text');
  expectError(await post(A.token, { to: B.user.id, text: 'é'.repeat(2001) }), 400, 'validation', 'text');
  expectError(await post(A.token, { to: B.user.id, image: { url: 'http://x/y.png', public_id: 'zzz' } }), 400, 'validation', 'image');
  expectError(await post(A.token, { to: 'c'.repeat(24), text: 'x' }), 404, 'not_found');
  for (const raw of ['[]', '"x"', '{', 'null']) {
    const res = await server.api('POST', '/api/v1/messages', {
      token: A.token,
      raw,
      headers: { 'content-type': 'application/json' },
    });
    expectError(res, 400, 'validation');
  }
  const ok = await post(A.token, { to: B.user.id, text: 'é'.repeat(2000) });
  assert.equal(ok.status, 201, ok.text);
});

test('GET /messages pagination with before and after: no gaps, no duplicates, hasMore', async () => {
  const A = await signup(server);
  const B = await signup(server);
  const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  const b = await connectSocket(server.base, { token: B.token, transports: ['websocket'] });
  try {
    const sent = [];
    for (let i = 0; i < 25; i++) {
      // Both directions, some sent concurrently, so timestamps collide.
      const from = i % 3 === 0 ? b : a;
      const to = i % 3 === 0 ? A.user.id : B.user.id;
      sent.push(await sendMessage(from, { to, text: `p${i}` }));
    }
    const burst = await Promise.all(
      Array.from({ length: 5 }, (_, i) => sendMessage(a, { to: B.user.id, text: `q${i}`, clientId: `q${i}` })),
    );
    const all = [...sent, ...burst.sort((x, y) => (x.id < y.id ? -1 : 1))];
    const cid = sent[0].conversationId;
    for (const m of all) assert.equal(m.conversationId, cid);
    const allIds = all.map((m) => m.id);
    // ids sort by creation time
    assert.deepEqual([...allIds].sort(), allIds);

    // Default page: everything, oldest first.
    const full = await page(A.token, cid);
    assert.equal(full.status, 200, full.text);
    assert.deepEqual(full.json.messages.map((m) => m.id), allIds);
    assert.equal(full.json.hasMore, false);

    // Backwards with before=, limit 10.
    const seen = [];
    let res = await page(A.token, cid, '?limit=10');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.messages.length, 10);
    assert.equal(res.json.hasMore, true);
    seen.unshift(...res.json.messages.map((m) => m.id));
    let rounds = 0;
    while (res.json.hasMore) {
      assert.ok(++rounds < 10, 'pagination terminates');
      res = await page(A.token, cid, `?limit=10&before=${res.json.messages[0].id}`);
      assert.equal(res.status, 200, res.text);
      seen.unshift(...res.json.messages.map((m) => m.id));
    }
    assert.equal(res.json.messages.length, 10);
    assert.deepEqual(seen, allIds);

    // Forwards with after=, limit 10, from the first message.
    const forward = [allIds[0]];
    let cursor = allIds[0];
    rounds = 0;
    for (;;) {
      assert.ok(++rounds < 10, 'pagination terminates');
      res = await page(B.token, cid, `?limit=10&after=${cursor}`);
      assert.equal(res.status, 200, res.text);
      forward.push(...res.json.messages.map((m) => m.id));
      if (!res.json.hasMore) break;
      cursor = res.json.messages.at(-1).id;
    }
    assert.deepEqual(forward, allIds);

    // Exactly at the boundary: limit = count → hasMore false.
    res = await page(A.token, cid, `?limit=${allIds.length}`);
    assert.equal(res.json.hasMore, false);
    res = await page(A.token, cid, `?limit=${allIds.length - 1}`);
    assert.equal(res.json.hasMore, true);
    assert.deepEqual(res.json.messages.map((m) => m.id), allIds.slice(1));
    // Nothing after the newest, nothing before the oldest.
    res = await page(A.token, cid, `?after=${allIds.at(-1)}`);
    assert.deepEqual(res.json.messages, []);
    assert.equal(res.json.hasMore, false);
    res = await page(A.token, cid, `?before=${allIds[0]}`);
    assert.deepEqual(res.json.messages, []);
    assert.equal(res.json.hasMore, false);
    res = await page(A.token, cid, '?limit=1');
    assert.deepEqual(res.json.messages.map((m) => m.id), [allIds.at(-1)]);
    res = await page(A.token, cid, '?limit=100');
    assert.equal(res.json.messages.length, allIds.length);
  } finally {
    closeAll(a, b);
  }
});

test('authorisation: strangers get 403, unknown conversations 404, bad ids and limits 400', async () => {
  const A = await signup(server);
  const B = await signup(server);
  const X = await signup(server);
  const first = await post(A.token, { to: B.user.id, text: 'private' });
  assert.equal(first.status, 201);
  const { id: mid, conversationId: cid } = first.json.message;

  expectError(await page(X.token, cid), 403, 'forbidden');
  expectError(await page(X.token, cid, `?after=${mid}`), 403, 'forbidden');
  expectError(
    await server.api('POST', `/api/v1/conversations/${cid}/read`, { token: X.token, body: { upTo: mid } }),
    403,
    'forbidden',
  );
  expectError(await page(undefined, cid), 401, 'unauthorized');
  expectError(await page('garbage.token.here', cid), 401, 'unauthorized');

  const unknown = 'd'.repeat(24);
  expectError(await page(A.token, unknown), 404, 'not_found');
  expectError(
    await server.api('POST', `/api/v1/conversations/${unknown}/read`, { token: A.token, body: { upTo: mid } }),
    404,
    'not_found',
  );

  for (const bad of ['xyz', 'D'.repeat(24), '1'.repeat(23), '1'.repeat(25), '%00'.repeat(8)]) {
    expectError(await page(A.token, bad), 400, 'validation');
  }
  for (const q of ['?limit=0', '?limit=101', '?limit=abc', '?limit=1.5', '?limit=-1', '?limit=1x']) {
    expectError(await page(A.token, cid, q), 400, 'validation', 'limit');
  }
  for (const q of ['?before=xyz', '?after=123', `?before=${mid.toUpperCase()}`]) {
    expectError(await page(A.token, cid, q), 400, 'validation');
  }
  expectError(await page(A.token, cid, `?before=${mid}&after=${mid}`), 400, 'validation');

  for (const q of ['?limit=0', '?limit=101', '?limit=x']) {
    expectError(await server.api('GET', `/api/v1/conversations${q}`, { token: A.token }), 400, 'validation', 'limit');
  }
  expectError(await server.api('GET', '/api/v1/conversations?before=nope', { token: A.token }), 400, 'validation');

  // read: upTo must be a message of this conversation addressed to the caller.
  const read = (token, id, body) => server.api('POST', `/api/v1/conversations/${id}/read`, { token, body });
  expectError(await read(B.token, cid, {}), 400, 'validation', 'upTo');
  expectError(await read(B.token, cid, { upTo: 'bad' }), 400, 'validation', 'upTo');
  expectError(await read(B.token, 'bad', { upTo: mid }), 400, 'validation');
  const otherConv = await post(A.token, { to: X.user.id, text: 'another chat' });
  const wrong = await read(B.token, cid, { upTo: otherConv.json.message.id });
  assert.ok([400, 403, 404].includes(wrong.status), `upTo from another conversation: ${wrong.status} ${wrong.text}`);
  assert.equal(typeof wrong.json?.error?.code, 'string');

  // The members themselves are fine.
  assert.equal((await page(A.token, cid)).status, 200);
  assert.equal((await page(B.token, cid)).status, 200);
  assert.equal((await read(B.token, cid, { upTo: mid })).status, 200);
  // X sees nothing of it in their conversation list.
  const xConvs = await server.api('GET', '/api/v1/conversations', { token: X.token });
  assert.deepEqual(xConvs.json.conversations.map((c) => c.id), [otherConv.json.message.conversationId]);
});

test('GET /conversations pagination with before', async () => {
  const A = await signup(server);
  const peers = [];
  for (let i = 0; i < 5; i++) peers.push(await signup(server));
  for (const p of peers) {
    const res = await post(A.token, { to: p.user.id, text: `hi ${p.user.id}` });
    assert.equal(res.status, 201);
    await sleep(3);
  }
  const first = await server.api('GET', '/api/v1/conversations?limit=2', { token: A.token });
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.json.conversations.map((c) => c.peer.id), [peers[4].user.id, peers[3].user.id]);
  const ids = first.json.conversations.map((c) => c.peer.id);
  let cursor = first.json.conversations.at(-1);
  for (let round = 0; round < 5 && ids.length < 5; round++) {
    // `before` is documented as a cursor; try the conversation id.
    const next = await server.api('GET', `/api/v1/conversations?limit=2&before=${cursor.id}`, { token: A.token });
    assert.equal(next.status, 200, next.text);
    if (next.json.conversations.length === 0) break;
    ids.push(...next.json.conversations.map((c) => c.peer.id));
    cursor = next.json.conversations.at(-1);
  }
  assert.deepEqual(ids, [...peers].reverse().map((p) => p.user.id));
});
