// Live chat over Socket.IO with the official client: send-message and its
// fan-out to every tab, delivered and read receipts, idempotent clientId,
// typing, and the validation of every payload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  signup,
  connectSocket,
  waitFor,
  waitUntil,
  expectNoEvent,
  collect,
  emitWithAck,
  expectAckError,
  closeAll,
  sleep,
  sendMessage,
  checkMessage,
  ISO_TIME,
  stopClean,
  TRANSPORT_SETUPS,
} from './harness.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await stopClean(server);
});

async function conversationsOf(token) {
  const res = await server.api('GET', '/api/v1/conversations', { token });
  assert.equal(res.status, 200, res.text);
  return res.json.conversations;
}

async function messagesOf(token, conversationId, query = '') {
  const res = await server.api('GET', `/api/v1/messages/${conversationId}${query}`, { token });
  assert.equal(res.status, 200, res.text);
  return res.json;
}

for (const [name, transports] of TRANSPORT_SETUPS) {
  const tag = name.replace(/\W/g, '_'); // clientIds are limited to [A-Za-z0-9_.:-]
  test(`[${name}] send-message: ack, fan-out to every tab, delivered and read receipts`, async () => {
    const A = await signup(server, { name: 'Alice Sender' });
    const B = await signup(server, { name: 'Bob Recipient' });
    const opts = (token, setup) => ({ token, transports, setup });
    const b1Got = [];
    const b2Got = [];
    const a1 = await connectSocket(server.base, opts(A.token));
    const a2 = await connectSocket(server.base, opts(A.token));
    // b1 acks every message-received; b2 only records.
    const b1 = await connectSocket(server.base, opts(B.token, (s) =>
      s.on('message-received', (p, ack) => {
        b1Got.push(p);
        if (typeof ack === 'function') ack();
      })));
    const b2 = await connectSocket(server.base, opts(B.token, (s) => s.on('message-received', (p) => b2Got.push(p))));
    try {
      const a1Sent = collect(a1, 'message-sent');
      const a2Sent = collect(a2, 'message-sent');
      const a1Delivered = collect(a1, 'message-delivered');
      const a2Delivered = collect(a2, 'message-delivered');

      const before = Date.now();
      const message = await sendMessage(a1, { to: B.user.id, text: 'hello there', clientId: `c-${tag}-1` });
      checkMessage(message, { from: A.user.id, to: B.user.id, text: 'hello there', clientId: `c-${tag}-1` });
      assert.equal(message.image, null);
      assert.equal(message.call, null);
      assert.equal(message.read, false);
      assert.ok(Math.abs(Date.parse(message.createdAt) - before) < 10000);

      // Every tab of the recipient gets it; the sender's other tab gets message-sent.
      await waitUntil(() => b1Got.length === 1 && b2Got.length === 1 && a2Sent.length === 1, 5000, 'fan-out');
      for (const p of [b1Got[0], b2Got[0], a2Sent[0]]) {
        checkMessage(p.message);
        assert.equal(p.message.id, message.id);
        assert.equal(p.message.text, 'hello there');
        assert.equal(p.message.conversationId, message.conversationId);
      }
      // Pushed before anyone acked: not delivered yet.
      assert.equal(a2Sent[0].message.delivered, false);

      // b1's ack marks it delivered: every sender tab gets one receipt.
      await waitUntil(() => a1Delivered.length >= 1 && a2Delivered.length >= 1, 5000, 'message-delivered');
      for (const d of [a1Delivered[0], a2Delivered[0]]) {
        assert.equal(d.messageId, message.id);
        assert.equal(d.conversationId, message.conversationId);
        assert.match(d.deliveredAt, ISO_TIME);
      }
      await sleep(300);
      assert.equal(a1Sent.length, 0, 'the sending socket itself gets no message-sent');
      assert.equal(a1Delivered.length, 1, 'one delivered receipt per message');
      assert.equal(b1Got.length, 1);
      assert.equal(b2Got.length, 1);

      // Conversations: last message and unread count, both sides.
      const bConvs = await conversationsOf(B.token);
      const bConv = bConvs.find((c) => c.id === message.conversationId);
      assert.ok(bConv, JSON.stringify(bConvs));
      assert.equal(bConv.peer.id, A.user.id);
      assert.equal(bConv.peer.name, 'Alice Sender');
      assert.equal(bConv.lastMessage.id, message.id);
      assert.equal(bConv.unreadCount, 1);
      assert.match(bConv.updatedAt, ISO_TIME);
      const aConv = (await conversationsOf(A.token)).find((c) => c.id === message.conversationId);
      assert.equal(aConv.peer.id, B.user.id);
      assert.equal(aConv.unreadCount, 0);
      assert.equal(aConv.lastMessage.delivered, true);

      // Read receipt.
      const confirm1 = waitFor(a1, 'message-read-confirm');
      const confirm2 = waitFor(a2, 'message-read-confirm');
      const readAck = await emitWithAck(b2, 'message-read', { messageId: message.id });
      assert.equal(readAck.ok, true, JSON.stringify(readAck));
      for (const c of [await confirm1, await confirm2]) {
        assert.equal(c.messageId, message.id);
        assert.equal(c.conversationId, message.conversationId);
        assert.match(c.readAt, ISO_TIME);
      }
      const after = (await conversationsOf(B.token)).find((c) => c.id === message.conversationId);
      assert.equal(after.unreadCount, 0);
      const stored = (await messagesOf(A.token, message.conversationId)).messages;
      assert.equal(stored.length, 1);
      checkMessage(stored[0], { text: 'hello there' });
      assert.equal(stored[0].delivered, true);
      assert.equal(stored[0].read, true);
    } finally {
      closeAll(a1, a2, b1, b2);
    }
  });

  test(`[${name}] idempotent clientId: same message back, recipient gets it once`, async () => {
    const A = await signup(server);
    const B = await signup(server);
    const got = [];
    const b = await connectSocket(server.base, {
      token: B.token,
      transports,
      setup: (s) => s.on('message-received', (p, ack) => {
        got.push(p.message);
        if (typeof ack === 'function') ack();
      }),
    });
    let a = await connectSocket(server.base, { token: A.token, transports });
    try {
      const clientId = `idem-${tag}-${Date.now()}`;
      const first = await sendMessage(a, { to: B.user.id, text: 'only once', clientId });
      const second = await sendMessage(a, { to: B.user.id, text: 'only once', clientId });
      assert.equal(second.id, first.id);
      assert.equal(second.clientId, clientId);
      // Even with another text, the first message comes back.
      const third = await sendMessage(a, { to: B.user.id, text: 'changed text', clientId });
      assert.equal(third.id, first.id);
      assert.equal(third.text, 'only once');
      // Concurrent duplicates too.
      const clientId2 = `${clientId}-concurrent`;
      const burst = await Promise.all(
        Array.from({ length: 5 }, () => sendMessage(a, { to: B.user.id, text: 'burst', clientId: clientId2 })),
      );
      assert.equal(new Set(burst.map((m) => m.id)).size, 1);

      // After a reconnect of the sender, a resend is still the same message.
      closeAll(a);
      a = await connectSocket(server.base, { token: A.token, transports });
      const again = await sendMessage(a, { to: B.user.id, text: 'only once', clientId });
      assert.equal(again.id, first.id);

      await sleep(500);
      assert.deepEqual(got.map((m) => m.id), [first.id, burst[0].id], 'each message received exactly once');
      const stored = (await messagesOf(A.token, first.conversationId)).messages;
      assert.deepEqual(stored.map((m) => m.id), [first.id, burst[0].id]);

      // clientId is per sender: B may use the same one for its own message.
      const fromB = await sendMessage(b, { to: A.user.id, text: 'mine', clientId });
      assert.notEqual(fromB.id, first.id);
      assert.equal(fromB.from, B.user.id);
    } finally {
      closeAll(a, b);
    }
  });

  test(`[${name}] typing reaches every tab of the peer, active defaults to true`, async () => {
    const A = await signup(server);
    const B = await signup(server);
    const a = await connectSocket(server.base, { token: A.token, transports });
    const b1 = await connectSocket(server.base, { token: B.token, transports });
    const b2 = await connectSocket(server.base, { token: B.token, transports });
    try {
      let w1 = waitFor(b1, 'typing');
      let w2 = waitFor(b2, 'typing');
      const ack = await emitWithAck(a, 'typing', { to: B.user.id });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      for (const t of [await w1, await w2]) assert.deepEqual(t, { from: A.user.id, active: true });

      w1 = waitFor(b1, 'typing');
      await emitWithAck(a, 'typing', { to: B.user.id, active: false });
      assert.deepEqual(await w1, { from: A.user.id, active: false });

      w1 = waitFor(b1, 'typing');
      await emitWithAck(a, 'typing', { to: B.user.id, active: true });
      assert.deepEqual(await w1, { from: A.user.id, active: true });

      // Not echoed to the typist.
      await expectNoEvent(a, 'typing', 300);

      expectAckError(await emitWithAck(a, 'typing', { to: 'nope' }), 'validation', 'to');
      expectAckError(await emitWithAck(a, 'typing', {}), 'validation', 'to');
    } finally {
      closeAll(a, b1, b2);
    }
  });
}

// A client that sends far faster than the store commits: the server stops reading
// from it while 64 of its writes are pending and reads on as they complete. Every
// message is still stored once, acked and received in order, and another socket is
// served meanwhile.
test('a flood from one socket is paced, not dropped, and others are served meanwhile', async () => {
  const A = await signup(server);
  const B = await signup(server);
  const C = await signup(server);
  const received = [];
  const b = await connectSocket(server.base, {
    token: B.token,
    transports: ['websocket'],
    setup: (s) => s.on('message-received', (p, ack) => {
      received.push(p.message.text);
      if (typeof ack === 'function') ack();
    }),
  });
  const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  const c = await connectSocket(server.base, { token: C.token, transports: ['websocket'] });
  try {
    const total = 1500;
    const tag = Date.now();
    const flood = Promise.all(
      Array.from({ length: total }, (_, i) =>
        sendMessage(a, { to: B.user.id, text: `flood ${i}`, clientId: `flood-${tag}-${i}` }, 60000)),
    );
    // While the flood is being worked through, another user still gets answers.
    const other = await sendMessage(c, { to: B.user.id, text: 'meanwhile' }, 10000);
    assert.equal(other.text, 'meanwhile');
    const acks = await flood;
    assert.equal(acks.length, total);
    assert.equal(new Set(acks.map((m) => m.id)).size, total, 'every send stored once');
    const ids = acks.map((m) => m.id);
    assert.deepEqual([...ids].sort(), ids, 'stored in the order sent');
    await waitUntil(() => received.length === total + 1, 20000, 'every message received');
    const fromA = received.filter((t) => t.startsWith('flood '));
    assert.deepEqual(fromA, Array.from({ length: total }, (_, i) => `flood ${i}`));
  } finally {
    closeAll(a, b, c);
  }
});

test('message-read marks every earlier message from that peer read', async () => {
  const A = await signup(server);
  const B = await signup(server);
  const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  const b = await connectSocket(server.base, { token: B.token, transports: ['websocket'] });
  try {
    const sent = [];
    for (let i = 0; i < 4; i++) sent.push(await sendMessage(a, { to: B.user.id, text: `n${i}` }));
    const fromB = await sendMessage(b, { to: A.user.id, text: 'reply' });
    const conv = () => conversationsOf(B.token).then((cs) => cs.find((c) => c.id === sent[0].conversationId));
    assert.equal((await conv()).unreadCount, 4);
    assert.equal((await conv()).lastMessage.id, fromB.id);

    const confirm = waitFor(a, 'message-read-confirm');
    const ack = await emitWithAck(b, 'message-read', { messageId: sent[2].id });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.equal((await confirm).messageId, sent[2].id);
    assert.equal((await conv()).unreadCount, 1);
    const stored = (await messagesOf(B.token, sent[0].conversationId)).messages;
    assert.deepEqual(
      stored.map((m) => [m.text, m.read]),
      [['n0', true], ['n1', true], ['n2', true], ['n3', false], ['reply', false]],
    );
    for (const m of stored.slice(0, 3)) assert.match(m.readAt, ISO_TIME);

    // Reading a message you were not sent, or that does not exist, is refused.
    const C = await signup(server);
    const c = await connectSocket(server.base, { token: C.token, transports: ['websocket'] });
    try {
      const refused = await emitWithAck(c, 'message-read', { messageId: sent[3].id });
      assert.equal(refused.ok, false, JSON.stringify(refused));
      assert.ok(['forbidden', 'not_found'].includes(refused.error.code), JSON.stringify(refused));
      expectAckError(await emitWithAck(b, 'message-read', { messageId: 'f'.repeat(24) }), 'not_found');
      expectAckError(await emitWithAck(b, 'message-read', { messageId: 'xyz' }), 'validation', 'messageId');
      expectAckError(await emitWithAck(b, 'message-read', {}), 'validation', 'messageId');
    } finally {
      closeAll(c);
    }
    assert.equal((await conv()).unreadCount, 1);
  } finally {
    closeAll(a, b);
  }
});

test('conversations are listed most recent first with the right peer', async () => {
  const A = await signup(server);
  const B = await signup(server);
  const C = await signup(server);
  const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  try {
    const toB = await sendMessage(a, { to: B.user.id, text: 'to b' });
    await sleep(5);
    const toC = await sendMessage(a, { to: C.user.id, text: 'to c' });
    let convs = await conversationsOf(A.token);
    assert.deepEqual(convs.map((c) => c.peer.id), [C.user.id, B.user.id]);
    assert.equal(convs[0].lastMessage.id, toC.id);
    assert.notEqual(toB.conversationId, toC.conversationId);
    await sleep(5);
    await sendMessage(a, { to: B.user.id, text: 'to b again' });
    convs = await conversationsOf(A.token);
    assert.deepEqual(convs.map((c) => c.peer.id), [B.user.id, C.user.id]);
    assert.equal(convs[0].lastMessage.text, 'to b again');
    for (const c of convs) {
      assert.deepEqual(Object.keys(c).sort(), ['id', 'lastMessage', 'peer', 'unreadCount', 'updatedAt']);
      assert.equal(c.peer.email, undefined, 'the peer is the public view');
    }
    // Messages both ways share one conversation.
    const b = await connectSocket(server.base, { token: B.token, transports: ['websocket'] });
    try {
      const back = await sendMessage(b, { to: A.user.id, text: 'from b' });
      assert.equal(back.conversationId, toB.conversationId);
    } finally {
      closeAll(b);
    }
  } finally {
    closeAll(a);
  }
});

for (const [name, transports] of TRANSPORT_SETUPS.slice(0, 2)) {
  test(`[${name}] malformed send-message payloads are refused with validation errors`, async () => {
    const A = await signup(server);
    const B = await signup(server);
    const a = await connectSocket(server.base, { token: A.token, transports });
    const bGot = [];
    const b = await connectSocket(server.base, {
      token: B.token,
      transports,
      setup: (s) => s.on('message-received', (p) => bGot.push(p)),
    });
    try {
      const to = B.user.id;
      const cases = [
        [{ text: 'no recipient' }, 'to'],
        [{ to: 'xyz', text: 'bad id' }, 'to'],
        [{ to: to.toUpperCase(), text: 'upper-case id' }, 'to'],
        [{ to: `${to}0`, text: 'long id' }, 'to'],
        [{ to: 12345, text: 'numeric to' }, 'to'],
        [{ to: null, text: 'null to' }, 'to'],
        [{ to }, 'text'],
        [{ to, text: '' }, 'text'],
        [{ to, text: 42 }, 'text'],
        [{ to, text: ['a'] }, 'text'],
        [{ to, text: 'x'.repeat(2001) }, 'text'],
        [{ to, text: '😀'.repeat(2001) }, 'text'],
        [{ to, image: 'not-an-object' }, 'image'],
        [{ to, image: { url: 'http://example.com/x.png', public_id: 'someone-elses' } }, 'image'],
      ];
      for (const [payload, field] of cases) {
        const ack = await emitWithAck(a, 'send-message', payload);
        expectAckError(ack, 'validation', field);
      }
      expectAckError(await emitWithAck(a, 'send-message', {}), 'validation', 'to');

      // Non-object payloads, and none at all.
      for (const payload of ['hello', 42, null, [to, 'text'], true]) {
        expectAckError(await emitWithAck(a, 'send-message', payload), 'validation');
      }
      expectAckError(await emitWithAck(a, 'send-message'), 'validation');
      expectAckError(await emitWithAck(a, 'send-message', { to, text: 'bad clientId', clientId: { x: 1 } }), 'validation');

      // An unknown recipient is not_found.
      expectAckError(await emitWithAck(a, 'send-message', { to: 'a'.repeat(24), text: 'nobody' }), 'not_found');

      // Unknown events are refused with an error ack, and without an ack ignored.
      const unknown = await emitWithAck(a, 'no-such-event', { x: 1 });
      assert.equal(unknown.ok, false, JSON.stringify(unknown));
      assert.equal(typeof unknown.error.code, 'string');
      assert.equal(typeof unknown.error.message, 'string');
      a.emit('no-such-event-without-ack', 1, 2, 3);
      a.emit('send-message', { to, text: 'fire and forget' });

      // Limits are in code points: 2000 astral characters are fine.
      const max = await sendMessage(a, { to, text: '😀'.repeat(2000) });
      assert.equal([...max.text].length, 2000);
      const unicode = await sendMessage(a, { to, text: 'नमस्ते 👋🏽 مرحبا' });
      assert.equal(unicode.text, 'नमस्ते 👋🏽 مرحبا');

      // The socket survived everything, and nothing invalid was stored.
      await waitUntil(() => bGot.length === 3, 5000, 'three valid messages');
      await sleep(200);
      assert.deepEqual(bGot.map((p) => p.message.text), ['fire and forget', '😀'.repeat(2000), 'नमस्ते 👋🏽 مرحبا']);
      assert.equal(a.connected, true);
    } finally {
      closeAll(a, b);
    }
  });
}

test('other events validate their payloads', async () => {
  const A = await signup(server);
  const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  try {
    for (const payload of [undefined, 'x', 5, null, { userIds: 'abc' }, { userIds: ['bad-id'] }, { userIds: [1] }]) {
      expectAckError(await emitWithAck(a, 'presence-subscribe', payload), 'validation');
    }
    for (const payload of [undefined, 'x', null, [], { messageId: 7 }]) {
      expectAckError(await emitWithAck(a, 'message-read', payload), 'validation');
    }
    for (const payload of [undefined, 'x', null, { to: 'short' }, { to: A.user.id.replace(/./, 'g') }]) {
      expectAckError(await emitWithAck(a, 'typing', payload), 'validation');
    }
    // The socket still works after all of that.
    const again = await emitWithAck(a, 'presence-subscribe', { userIds: [] });
    assert.equal(again.ok, true, JSON.stringify(again));
    assert.deepEqual(again.users, []);
  } finally {
    closeAll(a);
  }
});
