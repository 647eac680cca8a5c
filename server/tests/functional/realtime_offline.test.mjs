// Offline delivery and reconnects: a message is pushed to each recipient
// socket that connects until one acks it, and never again afterwards; nothing
// is lost or duplicated when either side reconnects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  signup,
  connectSocket,
  waitFor,
  waitUntil,
  collect,
  emitWithAck,
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

// Connects `token`'s socket, recording message-received (acking if asked).
async function recipient(token, transports, { ack = true, ...opts } = {}) {
  const got = [];
  const socket = await connectSocket(server.base, {
    token,
    transports,
    ...opts,
    setup: (s) =>
      s.on('message-received', (p, cb) => {
        got.push(p.message);
        if (ack && typeof cb === 'function') cb();
      }),
  });
  return { socket, got };
}

async function closeAndSettle(...sockets) {
  closeAll(...sockets);
  await sleep(200);
}

for (const [name, transports] of TRANSPORT_SETUPS) {
  test(`[${name}] offline delivery: on connect, in order, again until acked, then never`, async () => {
    const A = await signup(server);
    const B = await signup(server);
    const a = await connectSocket(server.base, { token: A.token, transports });
    const delivered = collect(a, 'message-delivered');
    try {
      const sent = [];
      for (const text of ['one', 'two', 'three']) sent.push(await sendMessage(a, { to: B.user.id, text }));
      for (const m of sent) assert.equal(m.delivered, false);
      const ids = sent.map((m) => m.id);

      // First connect: received, not acked.
      let r = await recipient(B.token, transports, { ack: false });
      await waitUntil(() => r.got.length >= 3, 5000, `3 offline messages (got ${r.got.length})`);
      await sleep(300);
      assert.deepEqual(r.got.map((m) => m.id), ids);
      r.got.forEach((m) => checkMessage(m, { from: A.user.id, to: B.user.id }));
      assert.deepEqual(r.got.map((m) => m.text), ['one', 'two', 'three']);
      assert.equal(delivered.length, 0, 'no receipt without an ack');
      await closeAndSettle(r.socket);

      // Second connect: pushed again; this time acked.
      r = await recipient(B.token, transports, { ack: true });
      await waitUntil(() => r.got.length >= 3, 5000, 'redelivery');
      assert.deepEqual(r.got.map((m) => m.id), ids);
      await waitUntil(() => delivered.length >= 3, 5000, `3 delivered receipts (got ${delivered.length})`);
      assert.deepEqual(delivered.map((d) => d.messageId).sort(), [...ids].sort());
      for (const d of delivered) {
        assert.equal(d.conversationId, sent[0].conversationId);
        assert.match(d.deliveredAt, ISO_TIME);
      }
      await sleep(300);
      assert.equal(r.got.length, 3);
      await closeAndSettle(r.socket);

      const page = await server.api('GET', `/api/v1/messages/${sent[0].conversationId}`, { token: B.token });
      assert.equal(page.status, 200);
      assert.deepEqual(page.json.messages.map((m) => m.delivered), [true, true, true]);

      // Third connect: nothing more.
      r = await recipient(B.token, transports, { ack: true });
      await sleep(700);
      assert.deepEqual(r.got, []);
      assert.equal(delivered.length, 3);
      closeAll(r.socket);
    } finally {
      closeAll(a);
    }
  });
}

test('an unacked live message is pushed to each tab that connects later, until one acks', async () => {
  const A = await signup(server);
  const B = await signup(server);
  const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  const tab1 = await recipient(B.token, ['websocket'], { ack: false });
  try {
    const m = await sendMessage(a, { to: B.user.id, text: 'live' });
    await waitUntil(() => tab1.got.length === 1, 5000, 'live push');
    // Listening before tab2 exists: it acks at once, the receipt may beat a later listener.
    const delivered = collect(a, 'message-delivered');
    const tab2 = await recipient(B.token, ['polling'], { ack: true });
    await waitUntil(() => tab2.got.length === 1, 5000, 'push to the tab that connected later');
    assert.equal(tab2.got[0].id, m.id);
    await waitUntil(() => delivered.length === 1, 5000, 'message-delivered');
    assert.equal(delivered[0].messageId, m.id);
    const tab3 = await recipient(B.token, ['websocket'], { ack: true });
    await sleep(600);
    assert.equal(tab3.got.length, 0);
    assert.equal(tab1.got.length, 1, 'the first tab did not get it twice');
    closeAll(tab2.socket, tab3.socket);
  } finally {
    closeAll(a, tab1.socket);
  }
});

for (const [name, transports] of TRANSPORT_SETUPS.slice(0, 2)) {
  test(`[${name}] recipient's connection drops and the client reconnects: no loss, no duplicate`, async () => {
    const A = await signup(server);
    const B = await signup(server);
    const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
    const delivered = collect(a, 'message-delivered');
    const r = await recipient(B.token, transports, {
      ack: true,
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 1000,
      randomizationFactor: 0,
    });
    try {
      const m1 = await sendMessage(a, { to: B.user.id, text: 'm1' });
      await waitUntil(() => delivered.length === 1, 5000, 'm1 delivered');

      const reconnected = waitFor(r.socket, 'connect', 8000);
      const dropped = waitFor(r.socket, 'disconnect', 3000);
      r.socket.io.engine.close(); // the transport goes away; the manager reconnects
      await dropped;
      await sleep(150);
      const m2 = await sendMessage(a, { to: B.user.id, text: 'm2' });
      const m3 = await sendMessage(a, { to: B.user.id, text: 'm3' });
      await reconnected;
      await waitUntil(() => r.got.length >= 3, 5000, `m2 and m3 after reconnect (got ${r.got.length})`);
      await waitUntil(() => delivered.length >= 3, 5000, 'all delivered');
      await sleep(400);
      assert.deepEqual(r.got.map((m) => m.id), [m1.id, m2.id, m3.id]);
      assert.equal(delivered.length, 3);
    } finally {
      closeAll(a, r.socket);
    }
  });

  test(`[${name}] sender loses its connection before the ack, retries with the same clientId: stored once`, async () => {
    const A = await signup(server);
    const B = await signup(server);
    const r = await recipient(B.token, ['websocket'], { ack: true });
    let a = await connectSocket(server.base, { token: A.token, transports });
    try {
      const clientId = `retry-${name}-${Date.now()}`;
      // Fire and drop the connection at once; the ack may never arrive.
      a.emit('send-message', { to: B.user.id, text: 'maybe lost', clientId });
      await sleep(20);
      a.io.engine.close();
      closeAll(a);
      a = await connectSocket(server.base, { token: A.token, transports });
      const m = await sendMessage(a, { to: B.user.id, text: 'maybe lost', clientId });
      const again = await sendMessage(a, { to: B.user.id, text: 'maybe lost', clientId });
      assert.equal(again.id, m.id);
      await waitUntil(() => r.got.length >= 1, 5000, 'received');
      await sleep(500);
      assert.deepEqual(r.got.map((x) => x.id), [m.id]);
      const page = await server.api('GET', `/api/v1/messages/${m.conversationId}`, { token: A.token });
      assert.deepEqual(page.json.messages.map((x) => x.clientId), [clientId]);
    } finally {
      closeAll(a, r.socket);
    }
  });
}

test('catching up over REST with after= right after a reconnect: no gap, no duplicate', async () => {
  const A = await signup(server);
  const B = await signup(server);
  const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  try {
    const first = await sendMessage(a, { to: B.user.id, text: 'seen' });
    const later = [];
    for (let i = 0; i < 7; i++) later.push(await sendMessage(a, { to: B.user.id, text: `later ${i}` }));
    const res = await server.api('GET', `/api/v1/messages/${first.conversationId}?after=${first.id}&limit=5`, {
      token: B.token,
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.messages.map((m) => m.id), later.slice(0, 5).map((m) => m.id));
    assert.equal(res.json.hasMore, true);
    const rest = await server.api(
      'GET',
      `/api/v1/messages/${first.conversationId}?after=${res.json.messages.at(-1).id}&limit=5`,
      { token: B.token },
    );
    assert.deepEqual(rest.json.messages.map((m) => m.id), later.slice(5).map((m) => m.id));
    assert.equal(rest.json.hasMore, false);
    // An ack from the recipient still works after catching up.
    const ack = await emitWithAck(a, 'presence-subscribe', { userIds: [B.user.id] });
    assert.equal(ack.ok, true);
  } finally {
    closeAll(a);
  }
});

for (const [name, transports] of TRANSPORT_SETUPS) {
  test(`[${name}] messages sent while the recipient is connecting arrive exactly once`, { timeout: 60000 }, async (t) => {
    const A = await signup(server);
    const B = await signup(server);
    const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
    let streaming = true;
    const sent = [];
    const stream = (async () => {
      for (let i = 0; streaming && i < 3000; i++) {
        sent.push(emitWithAck(a, 'send-message', { to: B.user.id, text: `s${i}` }, 10000));
        await sleep(1);
      }
    })();
    const all = [];
    const dups = [];
    try {
      for (let round = 0; round < 8; round++) {
        const seen = new Set();
        const r = await connectSocket(server.base, {
          token: B.token,
          transports,
          setup: (s) =>
            s.on('message-received', (p, cb) => {
              if (seen.has(p.message.id)) dups.push({ round, text: p.message.text });
              seen.add(p.message.id);
              all.push(p.message.id);
              if (typeof cb === 'function') cb();
            }),
        });
        await sleep(60 + round * 20);
        closeAll(r.socket ?? r);
        await sleep(30);
      }
      streaming = false;
      await stream;
      const ids = (await Promise.all(sent)).map((x) => x.message.id);
      // Everything not yet received is pushed to a final connection.
      const last = await recipient(B.token, transports, { ack: true });
      await waitUntil(() => new Set([...all, ...last.got.map((m) => m.id)]).size >= ids.length, 10000, 'everything received');
      await sleep(300);
      last.got.forEach((m) => all.push(m.id));
      closeAll(last.socket);
      t.diagnostic(`sent ${ids.length}, pushes ${all.length}`);
      assert.deepEqual(dups, [], 'a message pushed twice to the same socket');
      const missing = ids.filter((id) => !all.includes(id));
      assert.deepEqual(missing, [], 'messages never received');
    } finally {
      streaming = false;
      closeAll(a);
    }
  });
}

test('a backlog longer than one page (500) arrives whole, in order, once, on one connect', { timeout: 90000 }, async () => {
  const A = await signup(server);
  const B = await signup(server);
  const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  try {
    const total = 1234;
    const ids = [];
    for (let i = 0; i < total; i += 100) {
      const batch = [];
      for (let j = i; j < Math.min(total, i + 100); j++) batch.push(sendMessage(a, { to: B.user.id, text: `b${j}` }, 20000));
      for (const m of await Promise.all(batch)) ids.push(m.id);
    }
    ids.sort();
    const r = await recipient(B.token, ['websocket'], { ack: true });
    await waitUntil(() => r.got.length >= total, 30000, `${total} messages (got ${r.got.length})`);
    await sleep(300);
    assert.equal(r.got.length, total, 'each exactly once');
    assert.deepEqual(r.got.map((m) => m.id), ids, 'oldest first, no gap');
    closeAll(r.socket);
  } finally {
    closeAll(a);
  }
});
