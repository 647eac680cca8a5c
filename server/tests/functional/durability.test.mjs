// Durability: messages are sent as fast as the client can, the server is
// killed with SIGKILL mid-stream, restarted on the same data directory, and
// every message whose send-message was acknowledged must be there exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, signup, connectSocket, closeAll, sleep, waitUntil, sendMessage } from './harness.mjs';

const N = 200;
const KILL_AFTER_ACKS = 60;

async function allMessages(server, token, conversationId) {
  const out = [];
  let before = '';
  for (let round = 0; round < 50; round++) {
    const res = await server.api('GET', `/api/v1/messages/${conversationId}?limit=100${before}`, { token });
    assert.equal(res.status, 200, res.text);
    out.unshift(...res.json.messages);
    if (!res.json.hasMore || res.json.messages.length === 0) return out;
    before = `&before=${res.json.messages[0].id}`;
  }
  throw new Error('pagination did not end');
}

// The third run keeps every acknowledged message in the message journal only
// (SQLite would get them a minute later): the restart must apply them from
// the journal, and the reads after it must not wait that minute.
for (const [name, transports, env] of [
  ['websocket', ['websocket'], {}],
  ['polling', ['polling'], {}],
  ['journal-only', ['websocket'], { MESSAGE_APPLY_DELAY_MS: '60000', MESSAGE_APPLY_DELAY_QUIET_MS: '60000' }],
]) {
  test(`[${name}] kill -9 mid-stream: every acknowledged message survives, none twice`, { timeout: 90000 }, async (t) => {
    let server = await startServer(env);
    const dataDir = server.dataDir;
    const sockets = [];
    try {
      const A = await signup(server);
      const B = await signup(server);
      const receipts = new Set(); // ids the sender got message-delivered for
      const a = await connectSocket(server.base, { token: A.token, transports });
      sockets.push(a);
      a.on('message-delivered', (d) => receipts.add(d.messageId));
      const b = await connectSocket(server.base, {
        token: B.token,
        transports: ['websocket'],
        setup: (s) => s.on('message-received', (_p, ack) => typeof ack === 'function' && ack()),
      });
      sockets.push(b);

      const acked = new Map(); // clientId -> message
      let killed = false;
      let emitted = 0;
      const kill = () => {
        if (killed) return;
        killed = true;
        server.child.kill('SIGKILL');
      };
      for (let i = 0; i < N && !killed; i++) {
        const clientId = `dur-${name}-${i}`;
        a.emit('send-message', { to: B.user.id, text: `durable ${i}`, clientId }, (ack) => {
          if (ack?.ok === true) {
            acked.set(clientId, ack.message);
            if (acked.size >= KILL_AFTER_ACKS) kill();
          }
        });
        emitted += 1;
        if (i % 10 === 9) await sleep(1);
      }
      // If everything was emitted before the threshold, kill on the threshold anyway.
      await waitUntil(() => killed || acked.size >= Math.min(KILL_AFTER_ACKS, N), 30000, 'acks before the kill');
      kill();
      const exit = await server.exited;
      assert.equal(exit.signal, 'SIGKILL');
      closeAll(sockets.splice(0));
      const ackedAtKill = new Map(acked);
      const receiptsAtKill = new Set(receipts);
      t.diagnostic(`emitted ${emitted}, acked ${ackedAtKill.size}, delivered receipts ${receiptsAtKill.size}`);
      assert.ok(ackedAtKill.size >= KILL_AFTER_ACKS);

      server = await startServer(env, { dataDir });
      const conversationId = [...ackedAtKill.values()][0].conversationId;
      const stored = await allMessages(server, A.token, conversationId);

      // Every acknowledged message, exactly once, as acknowledged.
      const byId = new Map();
      for (const m of stored) {
        assert.ok(!byId.has(m.id), `message ${m.id} listed twice`);
        byId.set(m.id, m);
      }
      const clientIds = stored.map((m) => m.clientId);
      assert.equal(new Set(clientIds).size, clientIds.length, 'a clientId stored twice');
      for (const [clientId, m] of ackedAtKill) {
        const found = byId.get(m.id);
        assert.ok(found, `acked message ${clientId} (${m.id}) lost in the crash`);
        assert.equal(found.clientId, clientId);
        assert.equal(found.text, m.text);
      }
      for (const m of stored) {
        assert.match(m.clientId ?? '', new RegExp(`^dur-${name}-\\d+$`), 'nothing unexpected stored');
        assert.equal(m.text, `durable ${m.clientId.split('-').at(-1)}`);
      }
      t.diagnostic(`stored after restart: ${stored.length}`);

      // A delivered receipt the sender saw is not undone by the crash.
      const lostReceipts = [...receiptsAtKill].filter((id) => byId.get(id)?.delivered !== true);
      assert.deepEqual(lostReceipts, [], 'messages the sender saw delivered are delivered after the restart');

      // The sender retries everything with the same clientIds: nothing is doubled.
      const a2 = await connectSocket(server.base, { token: A.token, transports });
      sockets.push(a2);
      for (let i = 0; i < N; i++) {
        const clientId = `dur-${name}-${i}`;
        const m = await sendMessage(a2, { to: B.user.id, text: `durable ${i}`, clientId }, 10000);
        if (ackedAtKill.has(clientId)) assert.equal(m.id, ackedAtKill.get(clientId).id, `${clientId} resent`);
        if (byId.has(m.id)) assert.equal(byId.get(m.id).clientId, clientId);
      }
      const after = await allMessages(server, A.token, conversationId);
      assert.equal(after.length, N);
      assert.deepEqual(after.map((m) => m.clientId).sort(), Array.from({ length: N }, (_, i) => `dur-${name}-${i}`).sort());

      // The recipient, reconnecting, gets each undelivered message once, and
      // none of those it already acknowledged (as far as the sender was told).
      const undelivered = (await allMessages(server, A.token, conversationId)).filter((m) => !m.delivered);
      const got = [];
      const b2 = await connectSocket(server.base, {
        token: B.token,
        transports: ['websocket'],
        setup: (s) => s.on('message-received', (p, ack) => {
          got.push(p.message.id);
          if (typeof ack === 'function') ack();
        }),
      });
      sockets.push(b2);
      await waitUntil(() => got.length >= undelivered.length, 10000, `offline pushes (${got.length}/${undelivered.length})`);
      await sleep(500);
      assert.equal(new Set(got).size, got.length, 'a message pushed twice');
      assert.deepEqual([...got].sort(), undelivered.map((m) => m.id).sort(), 'exactly the undelivered ones');
      for (const id of receiptsAtKill) assert.ok(!got.includes(id), `message ${id} delivered again after a receipt`);
    } finally {
      closeAll(sockets);
      await server.stop({ keepData: true }).catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

// A graceful stop (SIGTERM) while sends are still arriving and being committed:
// the server exits cleanly (exit 0; under the sanitizer build, no report), and
// every acknowledged message is there after the restart, once.
test('SIGTERM mid-stream: a clean exit, and every acknowledged message survives', { timeout: 90000 }, async (t) => {
  let server = await startServer();
  const dataDir = server.dataDir;
  const sockets = [];
  try {
    const A = await signup(server);
    const B = await signup(server);
    const a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
    sockets.push(a);
    const acked = new Map();
    let stopping = false;
    for (let i = 0; i < 2000 && !stopping; i++) {
      const clientId = `term-${i}`;
      a.emit('send-message', { to: B.user.id, text: `term ${i}`, clientId }, (ack) => {
        if (ack?.ok === true) acked.set(clientId, ack.message);
        if (!stopping && acked.size >= 100) {
          stopping = true;
          server.child.kill('SIGTERM');
        }
      });
      if (i % 50 === 49) await sleep(1);
    }
    await waitUntil(() => stopping, 30000, 'acks before the stop');
    const exit = await server.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, server.output().slice(-4000));
    assert.doesNotMatch(server.output(), /AddressSanitizer|runtime error/);
    closeAll(sockets.splice(0));
    const ackedAtStop = new Map(acked);
    t.diagnostic(`acked ${ackedAtStop.size}`);

    server = await startServer({}, { dataDir });
    const conversationId = [...ackedAtStop.values()][0].conversationId;
    const stored = await allMessages(server, A.token, conversationId);
    const byId = new Map(stored.map((m) => [m.id, m]));
    assert.equal(byId.size, stored.length, 'a message listed twice');
    for (const [clientId, m] of ackedAtStop) {
      assert.equal(byId.get(m.id)?.clientId, clientId, `acked message ${clientId} lost`);
    }
  } finally {
    closeAll(sockets);
    await server.stop({ keepData: true }).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
});
