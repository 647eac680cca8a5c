// Presence: presence-subscribe, user-online on a user's first socket,
// user-offline with lastSeen only when the last one is gone, and the REST view.
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
  closeAll,
  sleep,
  sendMessage,
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

async function userView(token, id) {
  const res = await server.api('GET', `/api/v1/users/${id}`, { token });
  assert.equal(res.status, 200, res.text);
  return res.json.user;
}

for (const [name, transports] of TRANSPORT_SETUPS) {
  test(`[${name}] subscribe, online on the first tab, offline with lastSeen after the last`, async () => {
    const A = await signup(server, { name: 'Watcher' });
    const B = await signup(server, { name: 'Peer Person' });
    const a = await connectSocket(server.base, { token: A.token, transports });
    const onlines = collect(a, 'user-online');
    const offlines = collect(a, 'user-offline');
    let b1;
    let b2;
    try {
      const ack = await emitWithAck(a, 'presence-subscribe', { userIds: [B.user.id] });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      assert.equal(ack.users.length, 1);
      assert.equal(ack.users[0].userId, B.user.id);
      assert.equal(ack.users[0].status, 'offline');
      assert.ok(ack.users[0].lastSeen === null || ISO_TIME.test(ack.users[0].lastSeen), JSON.stringify(ack));
      assert.equal((await userView(A.token, B.user.id)).status, 'offline');

      const online = waitFor(a, 'user-online');
      b1 = await connectSocket(server.base, { token: B.token, transports });
      assert.deepEqual(await online, { userId: B.user.id, name: 'Peer Person', avatar: null });
      assert.equal((await userView(A.token, B.user.id)).status, 'online');
      const now = await emitWithAck(a, 'presence-subscribe', { userIds: [B.user.id] });
      assert.equal(now.users[0].status, 'online');

      // A second tab is not a second user-online.
      b2 = await connectSocket(server.base, { token: B.token, transports });
      await sleep(300);
      assert.equal(onlines.length, 1);

      // Closing one tab of two: still online.
      closeAll(b1);
      await expectNoEvent(a, 'user-offline', 700);
      assert.equal((await userView(A.token, B.user.id)).status, 'online');

      // Closing the last one: offline, with lastSeen.
      const offline = waitFor(a, 'user-offline', 5000);
      const closedAt = Date.now();
      closeAll(b2);
      const ev = await offline;
      assert.equal(ev.userId, B.user.id);
      assert.match(ev.lastSeen, ISO_TIME);
      assert.ok(Math.abs(Date.parse(ev.lastSeen) - closedAt) < 5000, `lastSeen ${ev.lastSeen}`);
      const view = await waitUntil(async () => {
        const v = await userView(A.token, B.user.id);
        return v.lastSeen !== null && v;
      }, 3000, 'lastSeen in GET /users/:id');
      assert.equal(view.status, 'offline');
      assert.equal(view.lastSeen, ev.lastSeen);
      await sleep(200);
      assert.equal(offlines.length, 1);
      assert.equal(onlines.length, 1);

      const later = await emitWithAck(a, 'presence-subscribe', { userIds: [B.user.id] });
      assert.deepEqual(later.users, [{ userId: B.user.id, status: 'offline', lastSeen: ev.lastSeen }]);
    } finally {
      closeAll(a, b1, b2);
    }
  });
}

test('conversation partners get user-online/user-offline without subscribing', async () => {
  const A = await signup(server);
  const C = await signup(server, { name: 'Chat Partner' });
  const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  try {
    await sendMessage(a, { to: C.user.id, text: 'hi partner' });
    const online = waitFor(a, 'user-online', 5000, { filter: (p) => p.userId === C.user.id });
    const c = await connectSocket(server.base, { token: C.token, transports: ['websocket'] });
    assert.equal((await online).name, 'Chat Partner');
    const offline = waitFor(a, 'user-offline', 5000, { filter: (p) => p.userId === C.user.id });
    closeAll(c);
    assert.match((await offline).lastSeen, ISO_TIME);
  } finally {
    closeAll(a);
  }
});

test('strangers get no presence of users they neither subscribed to nor talk to', async () => {
  const A = await signup(server);
  const S = await signup(server);
  const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  try {
    const s = await connectSocket(server.base, { token: S.token, transports: ['websocket'] });
    await expectNoEvent(a, 'user-online', 500, (p) => p.userId === S.user.id);
    closeAll(s);
    await expectNoEvent(a, 'user-offline', 500, (p) => p.userId === S.user.id);
  } finally {
    closeAll(a);
  }
});

test('presence-subscribe answers for many users, unknown ones included safely', async () => {
  const A = await signup(server);
  const B = await signup(server);
  const C = await signup(server);
  const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  const b = await connectSocket(server.base, { token: B.token, transports: ['websocket'] });
  try {
    const ack = await emitWithAck(a, 'presence-subscribe', { userIds: [B.user.id, C.user.id] });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    const byId = Object.fromEntries(ack.users.map((u) => [u.userId, u]));
    assert.equal(byId[B.user.id].status, 'online');
    assert.equal(byId[C.user.id].status, 'offline');
    const unknown = await emitWithAck(a, 'presence-subscribe', { userIds: ['b'.repeat(24)] });
    // Either left out or reported offline; never an error for a well-formed id.
    assert.equal(unknown.ok, true, JSON.stringify(unknown));
    for (const u of unknown.users) assert.equal(u.status, 'offline');
  } finally {
    closeAll(a, b);
  }
});

test('GET /users/:id shows lastSeen as soon as user-offline has been sent', async () => {
  const A = await signup(server);
  const B = await signup(server);
  const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  try {
    await emitWithAck(a, 'presence-subscribe', { userIds: [B.user.id] });
    const seen = [];
    for (let round = 0; round < 5; round++) {
      const online = waitFor(a, 'user-online');
      const b = await connectSocket(server.base, { token: B.token, transports: ['websocket'] });
      await online;
      const offline = waitFor(a, 'user-offline');
      closeAll(b);
      const ev = await offline;
      const view = await userView(A.token, B.user.id);
      seen.push({ round, event: ev.lastSeen, rest: view.lastSeen, status: view.status });
    }
    const stale = seen.filter((x) => x.rest !== x.event || x.status !== 'offline');
    assert.deepEqual(stale, [], 'the REST view lags behind user-offline');
  } finally {
    closeAll(a);
  }
});

test('a profile change reaches partners, subscribers and the other tabs as user-updated; strangers get nothing', async () => {
  const A = await signup(server, { name: 'Before Rename' });
  const P = await signup(server);
  const W = await signup(server);
  const S = await signup(server);
  const a1 = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  const a2 = await connectSocket(server.base, { token: A.token, transports: ['polling'] });
  const p = await connectSocket(server.base, { token: P.token, transports: ['websocket'] });
  const w = await connectSocket(server.base, { token: W.token, transports: ['websocket'] });
  const s = await connectSocket(server.base, { token: S.token, transports: ['websocket'] });
  try {
    await sendMessage(a1, { to: P.user.id, text: 'we talk' });
    assert.equal((await emitWithAck(w, 'presence-subscribe', { userIds: [A.user.id] })).ok, true);
    const forA = (sock) => waitFor(sock, 'user-updated', 5000, { filter: (x) => x.user.id === A.user.id });
    const seen = [forA(p), forA(w), forA(a2)];
    const res = await server.api('PATCH', '/api/v1/users/me/profile', { token: A.token, body: { name: 'After Rename', bio: 'new bio' } });
    assert.equal(res.status, 200, res.text);
    for (const got of await Promise.all(seen)) {
      assert.equal(got.user.name, 'After Rename');
      assert.equal(got.user.bio, 'new bio');
      assert.equal(got.user.status, 'online');
      assert.equal('email' in got.user, false, 'the public view only');
    }
    await expectNoEvent(s, 'user-updated', 500);
  } finally {
    closeAll(a1, a2, p, w, s);
  }
});
