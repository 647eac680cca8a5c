// One-to-one call signalling with the official client: offer/answer/ICE relayed
// between the two sockets in the call, multi-tab ringing, busy/offline/decline/
// timeout/hang-up/disconnect, the record every ended call leaves in the
// conversation, refusals of signals from outsiders, and bad payloads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer,
  signup,
  connectSocket,
  waitFor,
  expectNoEvent,
  collect,
  emitWithAck,
  expectAckError,
  closeAll,
  waitUntil,
  checkMessage,
  HEX_ID,
  ISO_TIME,
  stopClean,
} from './harness.mjs';

const RING_MS = 1500;
let server;
before(async () => {
  server = await startServer({ CALL_RING_TIMEOUT_MS: String(RING_MS) });
});
after(async () => {
  await stopClean(server);
});

const SDP_OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n';
const SDP_ANSWER = SDP_OFFER.replace('o=- 1 2', 'o=- 3 4');
const cand = (n) => ({ candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${50000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 });

async function user(name, transports) {
  const u = await signup(server, { name });
  u.connect = (extra = {}) => connectSocket(server.base, { token: u.token, transports, ...extra });
  return u;
}

// The call records of the conversation between a and b, oldest first, over REST.
async function callRecords(a, b) {
  const list = await server.api('GET', '/api/v1/conversations', { token: a.token });
  const conv = list.json.conversations.find((c) => c.peer.id === b.user.id);
  if (!conv) return [];
  const res = await server.api('GET', `/api/v1/messages/${conv.id}`, { token: a.token });
  return res.json.messages.filter((m) => m.call);
}

function checkRecord(message, { caller, callee, callId, outcome }) {
  checkMessage(message, { from: caller.user.id, to: callee.user.id });
  const c = message.call;
  assert.equal(c.id, callId);
  assert.equal(c.caller, caller.user.id);
  assert.equal(c.callee, callee.user.id);
  assert.equal(c.outcome, outcome);
  assert.match(c.startedAt, ISO_TIME);
  assert.equal(Number.isInteger(c.duration), true);
  return c;
}

for (const [name, transports] of [['websocket', ['websocket']], ['polling', ['polling']]]) {
  test(`[${name}] a full call: every tab rings, the first answer wins, ICE in order, hang-up leaves a record`, async () => {
    const A = await user('Caller Ada', transports);
    const B = await user('Callee Ben', transports);
    const a1 = await A.connect();
    const a2 = await A.connect();
    const b1 = await B.connect();
    const b2 = await B.connect();
    try {
      const rings = [waitFor(b1, 'signal-offer'), waitFor(b2, 'signal-offer')];
      const a2Offers = collect(a2, 'signal-offer');
      const offerAck = await emitWithAck(a1, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER, media: { video: true } });
      assert.equal(offerAck.ok, true, JSON.stringify(offerAck));
      assert.match(offerAck.callId, HEX_ID);
      const callId = offerAck.callId;
      for (const offer of await Promise.all(rings)) {
        assert.deepEqual(offer, { from: A.user.id, sdp: SDP_OFFER, callId, media: { video: true } });
      }
      // The caller's candidates before the answer are kept, in order, for the answering tab.
      for (const n of [1, 2, 3]) {
        assert.deepEqual(await emitWithAck(a1, 'signal-ice', { to: B.user.id, callId, candidate: cand(n) }), { ok: true });
      }
      const b2Ice = collect(b2, 'signal-ice');
      const b1Ice = collect(b1, 'signal-ice');
      const elsewhere = waitFor(b1, 'call-answered-elsewhere');
      const answered = waitFor(a1, 'signal-answer');
      const answerAck = await emitWithAck(b2, 'signal-answer', { to: A.user.id, callId, sdp: SDP_ANSWER });
      assert.deepEqual(answerAck, { ok: true, callId });
      assert.deepEqual(await answered, { from: B.user.id, sdp: SDP_ANSWER, callId });
      assert.deepEqual(await elsewhere, { callId });
      await waitUntil(() => b2Ice.length === 3, 3000, 'early candidates');
      assert.deepEqual(b2Ice.map((m) => m.candidate), [cand(1), cand(2), cand(3)]);
      assert.ok(b2Ice.every((m) => m.from === A.user.id && m.callId === callId));

      // After the answer ICE flows both ways, to the one socket in the call.
      const toA = waitFor(a1, 'signal-ice');
      await emitWithAck(b2, 'signal-ice', { to: A.user.id, callId, candidate: cand(7) });
      assert.deepEqual(await toA, { from: B.user.id, candidate: cand(7), callId });
      await emitWithAck(a1, 'signal-ice', { to: B.user.id, callId, candidate: cand(8) });
      await waitUntil(() => b2Ice.length === 4, 3000, 'late candidate');
      assert.equal(b1Ice.length, 0, 'the tab that did not answer gets no ICE');
      assert.equal(a2Offers.length, 0, "the caller's other tab is not rung");

      // A second answer, from the other tab, is too late.
      expectAckError(await emitWithAck(b1, 'signal-answer', { to: A.user.id, callId, sdp: SDP_ANSWER }), 'conflict');
      // And a non-answering tab cannot speak for the call.
      expectAckError(await emitWithAck(b1, 'signal-ice', { to: A.user.id, callId, candidate: cand(9) }), 'forbidden');

      // Hang up: the peer's socket hears it; the record goes to both users' sockets.
      const ended = waitFor(b2, 'call-end');
      const received = waitFor(b1, 'message-received', 5000, { filter: (p) => p.message.call });
      const sentA1 = waitFor(a1, 'message-sent', 5000, { filter: (p) => p.message.call });
      const sentA2 = waitFor(a2, 'message-sent', 5000, { filter: (p) => p.message.call });
      assert.deepEqual(await emitWithAck(a1, 'call-end', { to: B.user.id, callId }), { ok: true });
      assert.deepEqual(await ended, { from: A.user.id, callId, reason: 'hangup' });
      const record = checkRecord((await received).message, { caller: A, callee: B, callId, outcome: 'answered' });
      assert.equal(record.duration, 0);
      assert.deepEqual((await sentA1).message.call, record);
      assert.deepEqual((await sentA2).message.call, record);
      const stored = await callRecords(B, A);
      assert.equal(stored.length, 1);
      assert.deepEqual(stored[0].call, record);
      // Any signal for the ended call is a conflict.
      expectAckError(await emitWithAck(a1, 'signal-ice', { to: B.user.id, callId, candidate: cand(10) }), 'conflict');
      expectAckError(await emitWithAck(b2, 'call-end', { to: A.user.id, callId }), 'conflict');
    } finally {
      closeAll(a1, a2, b1, b2);
    }
  });
}

test('an answered call records its duration in whole seconds', async () => {
  const A = await user('Ada Long');
  const B = await user('Ben Long');
  const a = await A.connect();
  const b = await B.connect();
  try {
    const ring = waitFor(b, 'signal-offer');
    const { callId } = await emitWithAck(a, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER });
    assert.deepEqual((await ring).media, { video: true }, 'media defaults to video');
    await emitWithAck(b, 'signal-answer', { to: A.user.id, callId, sdp: SDP_ANSWER });
    await new Promise((r) => setTimeout(r, 2100));
    const record = waitFor(a, 'message-sent', 5000, { filter: (p) => p.message.call });
    const ended = waitFor(a, 'call-end');
    await emitWithAck(b, 'call-end', { to: A.user.id, callId });
    assert.deepEqual(await ended, { from: B.user.id, callId, reason: 'hangup' });
    const call = (await record).message.call;
    assert.equal(call.outcome, 'answered');
    assert.ok(call.duration >= 2 && call.duration <= 4, `duration ${call.duration}`);
  } finally {
    closeAll(a, b);
  }
});

test('busy: a call to someone already in a call is refused at once and leaves a busy record', async () => {
  const A = await user('Ada Busy');
  const B = await user('Ben Busy');
  const C = await user('Cy Busy');
  const a = await A.connect();
  const b = await B.connect();
  const c = await C.connect();
  try {
    const { callId } = await emitWithAck(a, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER });
    const bOffers = collect(b, 'signal-offer');
    const recorded = waitFor(c, 'message-sent', 5000, { filter: (p) => p.message.call });
    const refused = await emitWithAck(c, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER });
    expectAckError(refused, 'busy');
    const record = await recorded;
    assert.equal(record.message.call.outcome, 'busy');
    assert.equal(record.message.call.duration, 0);
    await expectNoEvent(b, 'signal-offer', 300, (offer) => offer.from === C.user.id);
    assert.equal(bOffers.filter((o) => o.from === C.user.id).length, 0);
    // The caller cannot place a second call while the first one rings.
    expectAckError(await emitWithAck(a, 'signal-offer', { to: C.user.id, sdp: SDP_OFFER }), 'conflict');
    await emitWithAck(a, 'call-end', { to: B.user.id, callId });
  } finally {
    closeAll(a, b, c);
  }
});

test('offline: a call to a user with no socket is refused at once and leaves a missed record', async () => {
  const A = await user('Ada Off');
  const B = await user('Ben Off');
  const a = await A.connect();
  try {
    // Listening before the offer: the record may arrive in the same read as the ack.
    const record = waitFor(a, 'message-sent', 5000, { filter: (p) => p.message.call });
    const refused = await emitWithAck(a, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER });
    expectAckError(refused, 'offline');
    const sent = await record;
    assert.equal(sent.message.call.outcome, 'missed');
    // Ben finds the missed call when he comes online.
    const b = await B.connect({ setup: (s) => s.on('message-received', () => {}) });
    await waitUntil(async () => (await callRecords(B, A)).length === 1, 3000, 'record over REST');
    assert.equal((await callRecords(B, A))[0].call.outcome, 'missed');
    closeAll(b);
  } finally {
    closeAll(a);
  }
});

test('decline: the caller hears it with the reason, the other tabs stop ringing, a declined record', async () => {
  const A = await user('Ada Decl');
  const B = await user('Ben Decl');
  const a = await A.connect();
  const b1 = await B.connect();
  const b2 = await B.connect();
  try {
    const ring = waitFor(b1, 'signal-offer');
    const { callId } = await emitWithAck(a, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER });
    await ring;
    // Only the callee declines.
    expectAckError(await emitWithAck(a, 'call-decline', { to: B.user.id, callId }), 'forbidden');
    const declined = waitFor(a, 'call-decline');
    const stopRinging = waitFor(b2, 'call-declined-elsewhere');
    const recorded = waitFor(a, 'message-sent', 5000, { filter: (p) => p.message.call });
    assert.deepEqual(await emitWithAck(b1, 'call-decline', { to: A.user.id, callId, reason: 'in a meeting' }), { ok: true });
    assert.deepEqual(await declined, { from: B.user.id, callId, reason: 'in a meeting' });
    assert.deepEqual(await stopRinging, { callId });
    const record = await recorded;
    assert.equal(record.message.call.outcome, 'declined');
    expectAckError(await emitWithAck(b2, 'signal-answer', { to: A.user.id, callId, sdp: SDP_ANSWER }), 'conflict');
  } finally {
    closeAll(a, b1, b2);
  }
});

test('timeout: an unanswered call ends on both sides after CALL_RING_TIMEOUT_MS as missed', async () => {
  const A = await user('Ada Ring');
  const B = await user('Ben Ring');
  const a = await A.connect();
  const b1 = await B.connect();
  const b2 = await B.connect();
  try {
    const started = Date.now();
    const { callId } = await emitWithAck(a, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER });
    // Listening first: the record can arrive in the same read as call-end.
    const recorded = waitFor(b1, 'message-received', RING_MS + 5000, { filter: (p) => p.message.call });
    const ends = await Promise.all([waitFor(a, 'call-end', 5000), waitFor(b1, 'call-end', 5000), waitFor(b2, 'call-end', 5000)]);
    const waited = Date.now() - started;
    assert.ok(waited >= RING_MS - 100 && waited < RING_MS + 2000, `ended after ${waited} ms`);
    assert.deepEqual(ends[0], { from: B.user.id, callId, reason: 'timeout' });
    assert.deepEqual(ends[1], { from: A.user.id, callId, reason: 'timeout' });
    assert.deepEqual(ends[2], ends[1]);
    const record = await recorded;
    assert.equal(record.message.call.outcome, 'missed');
  } finally {
    closeAll(a, b1, b2);
  }
});

test('the caller hanging up while it rings stops every tab ringing and leaves a missed record', async () => {
  const A = await user('Ada Hang');
  const B = await user('Ben Hang');
  const a = await A.connect();
  const b1 = await B.connect();
  const b2 = await B.connect();
  try {
    const { callId } = await emitWithAck(a, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER });
    const ends = [waitFor(b1, 'call-end'), waitFor(b2, 'call-end')];
    const recorded = waitFor(a, 'message-sent', 5000, { filter: (p) => p.message.call });
    await emitWithAck(a, 'call-end', { to: B.user.id, callId });
    for (const e of await Promise.all(ends)) assert.deepEqual(e, { from: A.user.id, callId, reason: 'hangup' });
    const record = await recorded;
    assert.equal(record.message.call.outcome, 'missed');
  } finally {
    closeAll(a, b1, b2);
  }
});

test('a dropped socket ends the call: disconnected to the peer, answered or failed record', async () => {
  const A = await user('Ada Drop');
  const B = await user('Ben Drop');
  // Active call, callee's socket drops.
  let a = await A.connect();
  let b = await B.connect();
  let { callId } = await emitWithAck(a, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER });
  await emitWithAck(b, 'signal-answer', { to: A.user.id, callId, sdp: SDP_ANSWER });
  let ended = waitFor(a, 'call-end');
  let record = waitFor(a, 'message-sent', 5000, { filter: (p) => p.message.call });
  b.close();
  assert.deepEqual(await ended, { from: B.user.id, callId, reason: 'disconnected' });
  assert.equal((await record).message.call.outcome, 'answered');

  // Ringing, the callee's last tab goes away: the caller hears it, the call failed.
  b = await B.connect();
  ({ callId } = await emitWithAck(a, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER }));
  ended = waitFor(a, 'call-end');
  record = waitFor(a, 'message-sent', 5000, { filter: (p) => p.message.call });
  b.close();
  assert.deepEqual(await ended, { from: B.user.id, callId, reason: 'disconnected' });
  assert.equal((await record).message.call.outcome, 'failed');

  // Ringing, the caller's socket drops: every callee tab stops ringing.
  b = await B.connect();
  ({ callId } = await emitWithAck(a, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER }));
  ended = waitFor(b, 'call-end');
  // Listening before the drop: the record can arrive in the same read as call-end.
  const failed = waitFor(b, 'message-received', 5000, {
    filter: (p) => p.message.call && p.message.call.id === callId,
  });
  a.close();
  assert.deepEqual(await ended, { from: A.user.id, callId, reason: 'disconnected' });
  assert.equal((await failed).message.call.outcome, 'failed');
  // Both are free again.
  a = await A.connect();
  const again = await emitWithAck(a, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER });
  assert.equal(again.ok, true, JSON.stringify(again));
  await emitWithAck(a, 'call-end', { to: B.user.id, callId: again.callId });
  closeAll(a, b);
});

test('signals for a call the sender is not in are forbidden', async () => {
  const A = await user('Ada Forb');
  const B = await user('Ben Forb');
  const M = await user('Mal Forb');
  const a = await A.connect();
  const b = await B.connect();
  const m = await M.connect();
  try {
    const { callId } = await emitWithAck(a, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER });
    const bIce = collect(b, 'signal-ice');
    expectAckError(await emitWithAck(m, 'signal-answer', { to: A.user.id, callId, sdp: SDP_ANSWER }), 'forbidden');
    expectAckError(await emitWithAck(m, 'signal-ice', { to: B.user.id, callId, candidate: cand(1) }), 'forbidden');
    expectAckError(await emitWithAck(m, 'call-end', { to: A.user.id, callId }), 'forbidden');
    expectAckError(await emitWithAck(m, 'call-decline', { to: A.user.id, callId }), 'forbidden');
    // The caller cannot answer their own call, nor address it to someone else.
    expectAckError(await emitWithAck(a, 'signal-answer', { to: B.user.id, callId, sdp: SDP_ANSWER }), 'forbidden');
    expectAckError(await emitWithAck(a, 'signal-ice', { to: M.user.id, callId, candidate: cand(1) }), 'forbidden');
    // An unknown call.
    expectAckError(await emitWithAck(a, 'signal-ice', { to: B.user.id, callId: 'ffffffffffffffffffffffff', candidate: cand(1) }), 'forbidden');
    // The call is untouched: Ben still answers.
    const answer = await emitWithAck(b, 'signal-answer', { to: A.user.id, callId, sdp: SDP_ANSWER });
    assert.equal(answer.ok, true);
    assert.equal(bIce.length, 0);
    await emitWithAck(a, 'call-end', { to: B.user.id, callId });
  } finally {
    closeAll(a, b, m);
  }
});

test('bad payloads are refused with validation errors naming the field; the server keeps serving', async () => {
  const A = await user('Ada Bad');
  const B = await user('Ben Bad');
  const a = await A.connect();
  const b = await B.connect();
  try {
    const cases = [
      ['signal-offer', { to: B.user.id }, 'sdp'],
      ['signal-offer', { to: B.user.id, sdp: '' }, 'sdp'],
      ['signal-offer', { to: B.user.id, sdp: 42 }, 'sdp'],
      ['signal-offer', { to: B.user.id, sdp: 'x'.repeat(64 * 1024 + 1) }, 'sdp'],
      ['signal-offer', { to: 'not-an-id', sdp: SDP_OFFER }, 'to'],
      ['signal-offer', { to: A.user.id, sdp: SDP_OFFER }, 'to'],
      ['signal-offer', { to: B.user.id, sdp: SDP_OFFER, callId: 'xyz' }, 'callId'],
      ['signal-offer', { to: B.user.id, sdp: SDP_OFFER, media: 'video' }, 'media'],
      ['signal-answer', { to: B.user.id, sdp: SDP_ANSWER }, 'callId'],
      ['signal-ice', { to: B.user.id, callId: 'ffffffffffffffffffffffff' }, 'candidate'],
      ['signal-ice', { to: B.user.id, callId: 'ffffffffffffffffffffffff', candidate: { candidate: 'x'.repeat(5000) } }, 'candidate'],
      ['call-decline', { to: B.user.id, callId: 'ffffffffffffffffffffffff', reason: 'r'.repeat(65) }, 'reason'],
      ['call-end', { to: 12, callId: 'ffffffffffffffffffffffff' }, 'to'],
    ];
    const bOffers = collect(b, 'signal-offer');
    for (const [event, payload, field] of cases) {
      const ack = await emitWithAck(a, event, payload);
      try {
        expectAckError(ack, 'validation', field);
      } catch (err) {
        throw new Error(`${event} ${JSON.stringify(payload).slice(0, 120)}: ${err.message}`);
      }
    }
    expectAckError(await emitWithAck(a, 'signal-offer', 'just a string'), 'validation');
    assert.equal(bOffers.length, 0);
    // Still serving: a real call goes through.
    const ok = await emitWithAck(a, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER });
    assert.equal(ok.ok, true);
    await emitWithAck(a, 'call-end', { to: B.user.id, callId: ok.callId });
  } finally {
    closeAll(a, b);
  }
});

test('an unauthenticated socket cannot signal', async () => {
  const B = await user('Ben Unauth');
  const s = await connectSocket(server.base, {});
  try {
    expectAckError(await emitWithAck(s, 'signal-offer', { to: B.user.id, sdp: SDP_OFFER }), 'unauthorized');
  } finally {
    closeAll(s);
  }
});
