// Realtime connection with the official socket.io-client: handshake auth,
// refusals, the `authenticate` event, namespaces, the polling→websocket
// upgrade and logout kicks, over every transport setup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import {
  startServer,
  signup,
  connectSocket,
  connectError,
  makeSocket,
  waitFor,
  waitUntil,
  emitWithAck,
  expectAckError,
  closeAll,
  sleep,
  sendMessage,
  checkMessage,
  HEX_ID,
  stopClean,
  TRANSPORT_SETUPS,
} from './harness.mjs';

const SECRET = randomBytes(32).toString('hex');
let server;
before(async () => {
  server = await startServer({ JWT_SECRET: SECRET });
});
after(async () => {
  await stopClean(server);
});

const b64url = (x) => Buffer.from(x).toString('base64url');
function resign(token, mutate = (p) => p, secret = SECRET) {
  const [h, p] = token.split('.');
  const payload = mutate(JSON.parse(Buffer.from(p, 'base64url').toString()));
  const body = `${h}.${b64url(JSON.stringify(payload))}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

for (const [name, transports] of TRANSPORT_SETUPS) {
  test(`[${name}] connects with a valid token`, async () => {
    const a = await signup(server);
    const socket = await connectSocket(server.base, { token: a.token, transports });
    try {
      assert.equal(socket.connected, true);
      assert.equal(typeof socket.id, 'string');
      if (transports) assert.equal(socket.io.engine.transport.name, transports[0]);
    } finally {
      closeAll(socket);
    }
  });

  test(`[${name}] bad, forged, expired and revoked tokens get connect_error "unauthorized"`, async () => {
    const a = await signup(server);
    const other = await signup(server);
    const [h, p] = a.token.split('.');
    const forgedPayload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const now = Math.floor(Date.now() / 1000);
    const bad = {
      garbage: 'not-a-token',
      wrongSignature: `${h}.${p}.${b64url('x'.repeat(32))}`,
      otherSecret: resign(a.token, (x) => x, 'some-other-secret-of-reasonable-length'),
      swappedPayload: `${h}.${b64url(JSON.stringify({ ...forgedPayload, sub: other.user.id }))}.${a.token.split('.')[2]}`,
      algNone: `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${p}.`,
      expired: resign(a.token, (x) => ({ ...x, iat: now - 7200, exp: now - 3600 })),
    };
    for (const [label, token] of Object.entries(bad)) {
      const err = await connectError(server.base, { auth: { token }, transports }).catch((e) => e);
      assert.equal(err.message, 'unauthorized', `${label}: got ${err.message}`);
    }
    // Control: the same token re-signed with the real secret still works, so
    // the refusals above are about the token, not about how it was made.
    const control = await connectSocket(server.base, { token: resign(a.token), transports });
    closeAll(control);

    const b = await signup(server);
    const out = await server.api('POST', '/api/v1/auth/logout', { token: b.token });
    assert.equal(out.status, 204);
    const err = await connectError(server.base, { token: b.token, transports });
    assert.equal(err.message, 'unauthorized');
  });

  test(`[${name}] a token that is not a string is an invalid token, not a missing one`, async () => {
    for (const token of [12345, { t: 1 }, ['x']]) {
      const err = await connectError(server.base, { auth: { token }, transports }).catch((e) => e);
      assert.equal(err.message, 'unauthorized', `token ${JSON.stringify(token)}: got ${err.message}`);
    }
  });

  test(`[${name}] unauthenticated connect, then authenticate {token}`, async () => {
    const a = await signup(server);
    const b = await signup(server);
    const socket = await connectSocket(server.base, { transports });
    try {
      // Nothing is allowed before authenticating.
      const refused = await emitWithAck(socket, 'send-message', { to: b.user.id, text: 'too early' });
      expectAckError(refused, 'unauthorized');
      expectAckError(await emitWithAck(socket, 'typing', { to: b.user.id }), 'unauthorized');
      expectAckError(await emitWithAck(socket, 'presence-subscribe', { userIds: [b.user.id] }), 'unauthorized');
      expectAckError(await emitWithAck(socket, 'message-read', { messageId: '0'.repeat(24) }), 'unauthorized');

      expectAckError(await emitWithAck(socket, 'authenticate', { token: 'nonsense' }), 'unauthorized');
      const ack = await emitWithAck(socket, 'authenticate', { token: a.token });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      assert.equal(ack.user.id, a.user.id);
      assert.match(ack.user.id, HEX_ID);
      assert.equal(ack.user.name, a.user.name);

      const message = await sendMessage(socket, { to: b.user.id, text: 'after authenticate' });
      checkMessage(message, { from: a.user.id, to: b.user.id, text: 'after authenticate' });
      // The first unauthenticated attempt was not stored.
      const page = await server.api('GET', `/api/v1/messages/${message.conversationId}`, { token: a.token });
      assert.equal(page.status, 200);
      assert.deepEqual(page.json.messages.map((m) => m.text), ['after authenticate']);
    } finally {
      closeAll(socket);
    }
  });

  test(`[${name}] unknown namespace is refused`, async () => {
    const a = await signup(server);
    const err = await connectError(`${server.base}/no-such-namespace`, { token: a.token, transports });
    assert.ok(err instanceof Error);
    // The default namespace still works on a fresh connection.
    const ok = await connectSocket(server.base, { token: a.token, transports });
    closeAll(ok);
  });

  if (transports) {
    test(`[${name}] logout disconnects that token's sockets with "io server disconnect", no reconnect`, async () => {
      const a = await signup(server);
      const second = await server.api('POST', '/api/v1/auth/login', {
        body: { email: a.email, password: a.password },
      });
      assert.equal(second.status, 200);
      const opts = { token: a.token, transports, reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 };
      const tab1 = await connectSocket(server.base, opts);
      const tab2 = await connectSocket(server.base, opts);
      const otherSession = await connectSocket(server.base, { token: second.json.token, transports });
      let attempts = 0;
      tab1.io.on('reconnect_attempt', () => attempts++);
      tab2.io.on('reconnect_attempt', () => attempts++);
      try {
        const gone1 = waitFor(tab1, 'disconnect', 5000);
        const gone2 = waitFor(tab2, 'disconnect', 5000);
        const res = await server.api('POST', '/api/v1/auth/logout', { token: a.token });
        assert.equal(res.status, 204);
        assert.equal(await gone1, 'io server disconnect');
        assert.equal(await gone2, 'io server disconnect');
        await sleep(800);
        assert.equal(attempts, 0, 'the client must not try to reconnect');
        assert.equal(tab1.connected, false);
        assert.equal(tab1.active, false);
        // The user's other session is untouched.
        assert.equal(otherSession.connected, true);
        const ack = await emitWithAck(otherSession, 'presence-subscribe', { userIds: [a.user.id] });
        assert.equal(ack.ok, true, JSON.stringify(ack));
      } finally {
        closeAll(tab1, tab2, otherSession);
      }
    });
  }
}

test('[polling+upgrade] the upgrade to websocket happens and messages flow across it, both ways', async (t) => {
  const A = await signup(server);
  const B = await signup(server);
  const toB = []; // what B received, with the transport it was on
  const toA = [];
  const a = await connectSocket(server.base, {
    token: A.token,
    transports: ['websocket'],
    setup: (s) => s.on('message-received', (p, ack) => {
      toA.push(p.message);
      if (typeof ack === 'function') ack();
    }),
  });
  let b;
  let stop = false;
  try {
    // A backlog waiting for B, so the upgrade happens with traffic in flight.
    const fromA = [];
    for (let i = 0; i < 150; i++) {
      fromA.push(emitWithAck(a, 'send-message', { to: B.user.id, text: `a${i}`, clientId: `a${i}` }, 10000));
    }
    await Promise.all(fromA);
    const fromB = [];
    let upgradedAt = null;
    b = await makeSocket(server.base, {
      token: B.token,
      setup: (s) => {
        s.on('message-received', (p, ack) => {
          toB.push({ message: p.message, transport: s.io.engine?.transport?.name });
          if (typeof ack === 'function') ack();
        });
        s.io.on('open', () => s.io.engine.on('upgrade', () => (upgradedAt = toB.length)));
        s.on('connect', async () => {
          // B sends from the moment it is connected until after the upgrade.
          for (let j = 0; !stop && j < 400; j++) {
            fromB.push(emitWithAck(s, 'send-message', { to: A.user.id, text: `b${j}`, clientId: `b${j}` }, 10000));
            await sleep(2);
          }
        });
      },
    });
    // A keeps sending live while B connects and upgrades.
    let i = 150;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !(upgradedAt !== null && b.io.engine.transport.name === 'websocket')) {
      fromA.push(emitWithAck(a, 'send-message', { to: B.user.id, text: `a${i}`, clientId: `a${i}` }, 10000));
      i += 1;
      await sleep(2);
    }
    assert.equal(b.io.engine.transport.name, 'websocket', 'B upgraded to websocket within 5 s');
    for (let k = 0; k < 20; k++, i++) {
      fromA.push(emitWithAck(a, 'send-message', { to: B.user.id, text: `a${i}`, clientId: `a${i}` }, 10000));
      await sleep(2);
    }
    stop = true;
    const sentByA = (await Promise.all(fromA)).map((r) => {
      assert.equal(r.ok, true, JSON.stringify(r));
      return r.message.id;
    });
    const sentByB = (await Promise.all(fromB)).map((r) => {
      assert.equal(r.ok, true, JSON.stringify(r));
      return r.message.id;
    });
    await waitUntil(() => toB.length >= sentByA.length && toA.length >= sentByB.length, 8000,
      `all messages across the upgrade (B got ${toB.length}/${sentByA.length}, A got ${toA.length}/${sentByB.length})`);
    await sleep(300);
    const gotB = toB.map((x) => x.message.id);
    t.diagnostic(`B received ${toB.filter((x) => x.transport === 'polling').length} on polling, upgrade after ${upgradedAt}; A received ${toA.length}`);
    const twice = gotB.filter((id, k) => gotB.indexOf(id) !== k);
    assert.deepEqual(
      twice.map((id) => ({ text: toB.find((x) => x.message.id === id).message.text, at: gotB.flatMap((x, k) => (x === id ? [k] : [])) })),
      [],
      `B received messages twice (backlog a0..a149 sent before B connected, upgrade after ${upgradedAt})`,
    );
    assert.deepEqual([...gotB].sort(), [...sentByA].sort(), 'B received exactly what A sent');
    assert.deepEqual(toA.map((m) => m.id), sentByB, 'A received what B sent, once, in order');
    assert.deepEqual(toA.map((m) => m.text), sentByB.map((_, j) => `b${j}`));
    // The backlog arrives in order, and so do the live ones (the contract does
    // not order live pushes against the backlog pushed on connect).
    const backlog = new Set(sentByA.slice(0, 150));
    const gotBacklog = gotB.filter((id) => backlog.has(id));
    assert.deepEqual(gotBacklog, sentByA.slice(0, 150), 'backlog received in order');
    const gotLive = gotB.filter((id) => !backlog.has(id));
    assert.deepEqual(gotLive, [...gotLive].sort(), 'live messages received in order');
  } finally {
    stop = true;
    closeAll(a, b);
  }
});

test('[polling+upgrade] upgrade completes quickly (no 25 s stall)', async () => {
  const a = await signup(server);
  const started = Date.now();
  const socket = await connectSocket(server.base, { token: a.token });
  try {
    await waitUntil(() => socket.io.engine.transport.name === 'websocket', 3000, 'upgrade');
    assert.ok(Date.now() - started < 3000);
    // And the upgraded connection answers.
    const ack = await emitWithAck(socket, 'presence-subscribe', { userIds: [] });
    assert.equal(ack.ok, true, JSON.stringify(ack));
  } finally {
    closeAll(socket);
  }
});

test('an unauthenticated socket that never authenticates is disconnected after 10 s', { timeout: 20000 }, async () => {
  const socket = await connectSocket(server.base, { transports: ['websocket'] });
  try {
    const started = Date.now();
    const reason = await waitFor(socket, 'disconnect', 14000);
    const waited = Date.now() - started;
    assert.ok(waited > 8000, `disconnected too early (${waited} ms, ${reason})`);
  } finally {
    closeAll(socket);
  }
});
