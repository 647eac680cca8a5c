// Malformed Engine.IO / Socket.IO traffic on raw connections: each bad frame
// gets an error or a clean close of that connection only, and the server keeps
// serving everyone else (checked with a real socket.io-client pair each time).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import {
  startServer,
  signup,
  connectSocket,
  waitUntil,
  closeAll,
  sendMessage,
  sleep,
} from './harness.mjs';

let server;
let A;
let B;
let a;
let b;
const bGot = [];
before(async () => {
  server = await startServer();
  A = await signup(server);
  B = await signup(server);
  a = await connectSocket(server.base, { token: A.token, transports: ['websocket'] });
  b = await connectSocket(server.base, {
    token: B.token,
    transports: ['polling'],
    setup: (s) => s.on('message-received', (p, ack) => {
      bGot.push(p.message);
      if (typeof ack === 'function') ack();
    }),
  });
});
after(async () => {
  closeAll(a, b);
  if (server) {
    const health = await server.api('GET', '/healthz');
    assert.equal(health.status, 200, 'server healthy after the malformed traffic');
    const { code, signal } = await server.stop();
    assert.equal(signal, null, `server died by ${signal}: ${server.output().slice(-2000)}`);
    assert.equal(code, 0, `server exit code ${code}: ${server.output().slice(-2000)}`);
  }
});

// Others are still served: a real client pair exchanges a message.
let probe = 0;
async function othersStillServed() {
  probe += 1;
  const text = `probe ${probe}`;
  const m = await sendMessage(a, { to: B.user.id, text }, 5000);
  await waitUntil(() => bGot.some((x) => x.id === m.id), 5000, `probe ${probe} delivered`);
  const health = await server.api('GET', '/healthz');
  assert.equal(health.status, 200);
}

// A raw Engine.IO websocket; `connect` sends the Socket.IO CONNECT with auth.
async function rawWs({ connect = true, token = A.token } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`, {
    maxPayload: 10 * 1024 * 1024,
  });
  const frames = [];
  const waiters = [];
  let closeInfo = null;
  const closed = new Promise((resolve) => {
    ws.on('close', (code, reason) => {
      closeInfo = { code, reason: reason.toString() };
      resolve(closeInfo);
    });
  });
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    const frame = isBinary ? data : data.toString();
    frames.push(frame);
    // Answer pings so only our own frames decide the fate of the connection.
    if (frame === '2') ws.send('3');
    for (const w of [...waiters]) w();
  });
  const next = (pred, ms = 3000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const i = frames.findIndex((f) => typeof f === 'string' && pred(f));
        if (i >= 0) {
          waiters.splice(waiters.indexOf(check), 1);
          clearTimeout(timer);
          resolve(frames.splice(i, 1)[0]);
        }
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(check), 1);
        reject(new Error(`no matching frame in ${ms} ms; have ${JSON.stringify(frames).slice(0, 300)}`));
      }, ms);
      waiters.push(check);
      check();
    });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const open = await next((f) => f.startsWith('0'));
  const handshake = JSON.parse(open.slice(1));
  if (connect) {
    ws.send(`40${JSON.stringify({ token })}`);
    const ok = await next((f) => f.startsWith('40') || f.startsWith('44'));
    assert.ok(ok.startsWith('40{'), `connect answered ${ok}`);
    assert.ok(JSON.parse(ok.slice(2)).sid);
  }
  return {
    ws,
    frames,
    next,
    handshake,
    closed,
    get closeInfo() {
      return closeInfo;
    },
    close: () => ws.terminate(),
  };
}

async function expectClosed(conn, label, ms = 3000) {
  const timer = sleep(ms).then(() => 'timeout');
  const result = await Promise.race([conn.closed, timer]);
  conn.close();
  assert.notEqual(result, 'timeout', `${label}: connection not closed within ${ms} ms`);
  assert.notEqual(result.code, 1006, `${label}: closed without a close frame (abnormal closure)`);
  return result;
}

test('the handshake follows Engine.IO v4', async () => {
  const conn = await rawWs({ connect: false });
  try {
    const h = conn.handshake;
    assert.equal(typeof h.sid, 'string');
    assert.deepEqual(h.upgrades, []);
    assert.equal(h.pingInterval, 25000);
    assert.equal(h.pingTimeout, 20000);
    assert.ok([1000000, 1048576].includes(h.maxPayload), `maxPayload ${h.maxPayload}`);
    conn.ws.send(`40${JSON.stringify({ token: A.token })}`);
    const ok = await conn.next((f) => f.startsWith('40'));
    assert.match(ok, /^40\{"sid":"[^"]+"\}$/);
    // An event with an ack id gets its answer in an ACK packet.
    conn.ws.send(`427["presence-subscribe",{"userIds":[]}]`);
    const ack = await conn.next((f) => f.startsWith('437'));
    assert.deepEqual(JSON.parse(ack.slice(3)), [{ ok: true, users: [] }]);
  } finally {
    conn.close();
  }
});

const CLOSES = {
  'unknown Engine.IO packet type': 'garbage',
  'Engine.IO type 9': '9hello',
  'empty text frame': '',
  'Engine.IO message with an empty Socket.IO packet': '4',
  'unknown Socket.IO packet type': '49',
  'truncated JSON': '42["send-message",{"to":',
  'event payload that is not an array': '42{"not":"an array"}',
  'empty event array': '42[]',
  'event name that is an object': '42[{"a":1},"x"]',
  'event name that is null': '42[null]',
  'ack id with letters': '42abc["typing",{}]',
  'JSON with trailing garbage': '42["typing",{}]]]',
};

for (const [label, frame] of Object.entries(CLOSES)) {
  test(`raw websocket: ${label} → the server closes that connection`, async () => {
    const conn = await rawWs();
    conn.ws.send(frame);
    await expectClosed(conn, label);
    await othersStillServed();
  });
}

test('raw websocket: a binary frame with no binary packet pending → closed', async () => {
  const conn = await rawWs();
  conn.ws.send(Buffer.from([1, 2, 3, 4]));
  await expectClosed(conn, 'stray binary');
  await othersStillServed();
});

test('raw websocket: a frame over maxPayload (1 MB) → closed', async () => {
  const conn = await rawWs();
  conn.ws.send(`42["send-message",{"to":"${B.user.id}","text":"${'x'.repeat(1_100_000)}"}]`);
  const info = await expectClosed(conn, 'oversize', 5000);
  assert.ok([1009, 1000, 1005, 1008].includes(info.code), `close code ${info.code}`);
  await othersStillServed();
});

test('raw websocket: binary event placeholders are decoded; unused binary events are refused, not crashed on', async () => {
  const conn = await rawWs();
  try {
    // BINARY_EVENT with one attachment, to an event the server does not use.
    conn.ws.send('451-3["upload-something",{"_placeholder":true,"num":0}]');
    conn.ws.send(Buffer.from([9, 8, 7]));
    const answer = await Promise.race([
      conn.next((f) => f.startsWith('43') || f.startsWith('46'), 3000).catch(() => 'none'),
      conn.closed.then(() => 'closed'),
    ]);
    if (answer !== 'closed' && answer !== 'none') {
      const body = JSON.parse(answer.replace(/^4[36]\d*-?\d*/, ''));
      assert.equal(body[0].ok, false, answer);
    }
    // send-message with a binary attachment as text is a validation error or a close.
    if (conn.closeInfo === null) {
      conn.ws.send(`451-4["send-message",{"to":"${B.user.id}","text":{"_placeholder":true,"num":0}}]`);
      conn.ws.send(Buffer.from('hello'));
      const res = await Promise.race([
        conn.next((f) => f.startsWith('434') || f.startsWith('464'), 3000).catch(() => 'none'),
        conn.closed.then(() => 'closed'),
      ]);
      if (res !== 'closed') {
        assert.notEqual(res, 'none', 'an ack or a close');
        const body = JSON.parse(res.replace(/^4[36]\d*-?\d*/, ''));
        assert.equal(body[0].ok, false, res);
      }
    }
  } finally {
    conn.close();
  }
  await othersStillServed();
});

test('raw websocket: errors that are answered, not closed', async () => {
  const conn = await rawWs();
  try {
    // Unknown namespace: CONNECT_ERROR for it, the connection stays.
    conn.ws.send(`40/nope,${JSON.stringify({ token: A.token })}`);
    const refused = await conn.next((f) => f.startsWith('44/nope,'));
    assert.equal(typeof JSON.parse(refused.slice('44/nope,'.length)).message, 'string');
    // A lone surrogate in the text: an error ack or a close, never a crash.
    conn.ws.send(`428["send-message",{"to":"${B.user.id}","text":"\\ud800 broken"}]`);
    const res = await Promise.race([
      conn.next((f) => f.startsWith('438'), 3000).catch(() => 'none'),
      conn.closed.then(() => 'closed'),
    ]);
    assert.notEqual(res, 'none', 'an ack or a close');
    if (res !== 'closed') {
      const [body] = JSON.parse(res.slice(3));
      assert.equal(body.ok, false, res);
      assert.equal(body.error.code, 'validation');
    }
    // A huge ack id and deep nesting must not crash the server.
    if (conn.closeInfo === null) conn.ws.send('4299999999999999999999999999["typing",{}]');
  } finally {
    conn.close();
  }
  const deep = await rawWs();
  deep.ws.send(`42["send-message",${'['.repeat(200000)}${']'.repeat(200000)}]`);
  await Promise.race([deep.closed, sleep(2000)]);
  deep.close();
  const deeper = await rawWs();
  deeper.ws.send(`42["send-message",${'{"a":'.repeat(150000)}1${'}'.repeat(150000)}]`);
  await Promise.race([deeper.closed, sleep(2000)]);
  deeper.close();
  await othersStillServed();
});

test('raw websocket: events before the Socket.IO CONNECT are not served', async () => {
  const conn = await rawWs({ connect: false });
  try {
    conn.ws.send('421["send-message",{"to":"' + B.user.id + '","text":"sneaky"}]');
    const got = await Promise.race([
      conn.next((f) => f.startsWith('431'), 1500).catch(() => 'none'),
      conn.closed.then(() => 'closed'),
    ]);
    if (got !== 'none' && got !== 'closed') {
      const [body] = JSON.parse(got.slice(3));
      assert.equal(body.ok, false, got);
    }
  } finally {
    conn.close();
  }
  await sleep(200);
  assert.ok(!bGot.some((m) => m.text === 'sneaky'), 'nothing was sent');
});

// One polling POST carries the CONNECT and two events: the events are decoded
// while the CONNECT's token is still being checked.
test('polling: events in the same payload as CONNECT are served once connected, in order', async () => {
  const base = `${server.base}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const { sid } = JSON.parse(open.slice(1));
  const url = `${base}&sid=${sid}`;
  const packets = [
    `40${JSON.stringify({ token: A.token })}`,
    `421["send-message",${JSON.stringify({ to: B.user.id, text: 'early 1', clientId: 'early-1' })}]`,
    `422["send-message",${JSON.stringify({ to: B.user.id, text: 'early 2', clientId: 'early-2' })}]`,
  ];
  const posted = await fetch(url, { method: 'POST', body: packets.join('\x1e') });
  assert.equal(posted.status, 200);
  const got = [];
  const deadline = Date.now() + 5000;
  while (got.filter((p) => p.startsWith('43')).length < 2 && Date.now() < deadline) {
    const res = await fetch(url);
    assert.equal(res.status, 200);
    got.push(...(await res.text()).split('\x1e'));
  }
  const connect = got.findIndex((p) => p.startsWith('40{'));
  const acks = got.filter((p) => p.startsWith('43')).map((p) => [p[2], JSON.parse(p.slice(3))[0]]);
  assert.ok(connect >= 0, `connected: ${JSON.stringify(got)}`);
  assert.deepEqual(acks.map(([id, body]) => [id, body.ok]), [['1', true], ['2', true]]);
  assert.ok(acks[0][1].message.id < acks[1][1].message.id, 'stored in the order sent');
  assert.ok(connect < got.findIndex((p) => p.startsWith('43')), 'acked after the CONNECT answer');
  await waitUntil(() => bGot.some((m) => m.text === 'early 2'), 3000, 'the recipient got them');
  const texts = bGot.filter((m) => m.text.startsWith('early ')).map((m) => m.text);
  assert.deepEqual(texts, ['early 1', 'early 2']);
  await fetch(url, { method: 'POST', body: '1' }).catch(() => {});
});

test('polling: events in the same payload as a refused CONNECT are dropped', async () => {
  const base = `${server.base}/socket.io/?EIO=4&transport=polling`;
  const { sid } = JSON.parse((await (await fetch(base)).text()).slice(1));
  const url = `${base}&sid=${sid}`;
  const body = [
    '40{"token":"not-a-token"}',
    `421["send-message",${JSON.stringify({ to: B.user.id, text: 'refused early', clientId: 'refused-1' })}]`,
  ].join('\x1e');
  assert.equal((await fetch(url, { method: 'POST', body })).status, 200);
  const got = (await (await fetch(url)).text()).split('\x1e');
  assert.ok(got.some((p) => p.startsWith('44')), JSON.stringify(got));
  assert.ok(!got.some((p) => p.startsWith('43')), JSON.stringify(got));
  await sleep(300);
  assert.ok(!bGot.some((m) => m.text === 'refused early'), 'nothing was sent');
  await fetch(url, { method: 'POST', body: '1' }).catch(() => {});
});

test('polling: malformed payloads and unknown sessions', async () => {
  const base = `${server.base}/socket.io/?EIO=4&transport=polling`;
  // Unknown sid, unsupported protocol version, unknown transport → 400.
  assert.equal((await fetch(`${base}&sid=nosuchsession`)).status, 400);
  assert.equal((await fetch(`${server.base}/socket.io/?EIO=3&transport=polling`)).status, 400);
  assert.equal((await fetch(`${server.base}/socket.io/?EIO=4&transport=carrier-pigeon`)).status, 400);

  const open = await fetch(base);
  assert.equal(open.status, 200);
  const text = await open.text();
  assert.ok(text.startsWith('0{'), text);
  const { sid } = JSON.parse(text.slice(1));
  const url = `${base}&sid=${sid}`;
  const post = await fetch(url, { method: 'POST', body: `40${JSON.stringify({ token: A.token })}` });
  assert.equal(post.status, 200);
  const connected = await (await fetch(url)).text();
  assert.ok(connected.startsWith('40{'), connected);

  // Garbage: the session is closed (now or at the next poll), and the
  // server does not crash.
  const bad = await fetch(url, { method: 'POST', body: 'ç∂garbage' });
  assert.ok([200, 400].includes(bad.status), `POST garbage: ${bad.status}`);
  let gone = false;
  for (let i = 0; i < 2 && !gone; i++) {
    let res;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    } catch {
      continue; // a poll that waits: the session is still there
    }
    if (res.status === 400) gone = true;
    else if ((await res.text()).split('\x1e').includes('1')) gone = true;
  }
  assert.ok(gone, 'the session is closed after a malformed payload');
  await othersStillServed();
});
