// The WebSocket layer itself (RFC 6455), below Engine.IO: the opening handshake,
// masked/fragmented/pipelined client frames, pings, the closing handshake, and the
// violations a server must refuse with the right close code. Some tests speak raw TCP
// because the `ws` client cannot produce the frames they need (unmasked, split at any
// byte, several in one write).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import {
  startServer,
  signup,
  stopClean,
  sleep,
  connectSocket,
  emitWithAck,
  waitFor,
  closeAll,
} from './harness.mjs';

let server;
let A;
before(async () => {
  server = await startServer();
  A = await signup(server);
});
after(async () => {
  if (server) await stopClean(server);
});

const PATH = '/socket.io/?EIO=4&transport=websocket';

// A `ws` client that collects text frames and the close it gets.
async function open() {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${PATH}`);
  const frames = [];
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => frames.push(isBinary ? data : data.toString()));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, frames, closed };
}

async function waitFrame(conn, pred, ms = 3000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const i = conn.frames.findIndex((f) => typeof f === 'string' && pred(f));
    if (i >= 0) return conn.frames.splice(i, 1)[0];
    if (Date.now() > deadline) {
      throw new Error(`no matching frame in ${ms} ms; have ${JSON.stringify(conn.frames).slice(0, 300)}`);
    }
    await sleep(10);
  }
}

async function withTimeout(promise, ms, what) {
  const result = await Promise.race([promise, sleep(ms).then(() => 'timeout')]);
  assert.notEqual(result, 'timeout', `${what} within ${ms} ms`);
  return result;
}

// A client frame, masked as RFC 6455 requires (or not, to test the refusal).
function frame(opcode, payload, { fin = true, mask = true } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const head = [(fin ? 0x80 : 0) | opcode];
  const m = mask ? 0x80 : 0;
  if (data.length < 126) head.push(m | data.length);
  else if (data.length < 65536) head.push(m | 126, data.length >> 8, data.length & 0xff);
  else throw new Error('test frames stay under 64 KB');
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = crypto.randomBytes(4);
  const masked = Buffer.from(data.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([Buffer.from(head), key, masked]);
}

// Raw TCP: sends the upgrade request, returns the response head and a reader of the
// server's frames (unmasked, as servers send them).
async function rawUpgrade(headers = {}) {
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const key = headers['Sec-WebSocket-Key'] ?? crypto.randomBytes(16).toString('base64');
  const all = {
    Host: `127.0.0.1:${server.port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Version': '13',
    ...headers,
    'Sec-WebSocket-Key': key,
  };
  socket.write(
    `GET ${PATH} HTTP/1.1\r\n` +
      Object.entries(all)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('') +
      '\r\n',
  );
  let buffer = Buffer.alloc(0);
  let ended = false;
  socket.on('data', (d) => {
    buffer = Buffer.concat([buffer, d]);
  });
  socket.on('end', () => {
    ended = true;
  });
  socket.on('error', () => {
    ended = true;
  });
  const deadline = Date.now() + 3000;
  while (buffer.indexOf('\r\n\r\n') < 0) {
    if (Date.now() > deadline || ended) throw new Error(`no response head: ${buffer}`);
    await sleep(5);
  }
  const headEnd = buffer.indexOf('\r\n\r\n') + 4;
  const head = buffer.subarray(0, headEnd).toString();
  buffer = buffer.subarray(headEnd);
  // Server frames, parsed as they come.
  const readFrame = async (ms = 3000) => {
    const until = Date.now() + ms;
    for (;;) {
      if (buffer.length >= 2) {
        let len = buffer[1] & 0x7f;
        let off = 2;
        if (len === 126 && buffer.length >= 4) {
          len = buffer.readUInt16BE(2);
          off = 4;
        }
        if (len !== 126 && buffer.length >= off + len) {
          const f = { opcode: buffer[0] & 0x0f, fin: !!(buffer[0] & 0x80), masked: !!(buffer[1] & 0x80), payload: buffer.subarray(off, off + len) };
          buffer = buffer.subarray(off + len);
          return f;
        }
      }
      if (ended) return null;
      if (Date.now() > until) throw new Error('no frame from the server');
      await sleep(5);
    }
  };
  const untilEnd = async (ms = 3000) => {
    const until = Date.now() + ms;
    while (!ended && Date.now() < until) await sleep(5);
    return ended;
  };
  return { socket, head, key, readFrame, untilEnd };
}

const textOf = (f) => f.payload.toString();

// rawUpgrade(), then the Socket.IO CONNECT as A, answered.
async function rawConnected() {
  const conn = await rawUpgrade();
  await conn.readFrame(); // open
  conn.socket.write(frame(1, `40${JSON.stringify({ token: A.token })}`));
  assert.ok(textOf(await conn.readFrame()).startsWith('40{"sid"'));
  return conn;
}

test('the opening handshake answers 101 with the accept key of RFC 6455', async () => {
  const conn = await rawUpgrade();
  try {
    assert.match(conn.head, /^HTTP\/1\.1 101 /);
    const accept = crypto
      .createHash('sha1')
      .update(conn.key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
      .digest('base64');
    assert.match(conn.head, new RegExp(`Sec-WebSocket-Accept: ${accept.replace(/[+/]/g, '\\$&')}\r\n`, 'i'));
    const open = await conn.readFrame();
    assert.equal(open.opcode, 1, 'the Engine.IO open packet is a text frame');
    assert.equal(open.masked, false, 'server frames are not masked');
    assert.match(textOf(open), /^0\{"sid":/);
  } finally {
    conn.socket.destroy();
  }
});

test('a wrong WebSocket version gets 426 naming version 13; a bad key gets 400', async () => {
  const old = await rawUpgrade({ 'Sec-WebSocket-Version': '8' });
  assert.match(old.head, /^HTTP\/1\.1 426 /);
  assert.match(old.head, /Sec-WebSocket-Version: 13\r\n/i);
  old.socket.destroy();
  const bad = await rawUpgrade({ 'Sec-WebSocket-Key': 'not-a-key' });
  assert.match(bad.head, /^HTTP\/1\.1 400 /);
  bad.socket.destroy();
});

test('frames pipelined in one write and frames split at every byte are all read', async () => {
  const conn = await rawConnected();
  try {
    // Three acked events in a single TCP write.
    conn.socket.write(
      Buffer.concat([1, 2, 3].map((id) => frame(1, `42${id}["presence-subscribe",{"userIds":[]}]`))),
    );
    const acks = [];
    while (acks.length < 3) acks.push(textOf(await conn.readFrame()));
    assert.deepEqual(acks, [1, 2, 3].map((id) => `43${id}[{"ok":true,"users":[]}]`));
    // One event sent a byte at a time.
    const bytes = frame(1, '424["presence-subscribe",{"userIds":[]}]');
    for (const b of bytes) {
      conn.socket.write(Buffer.from([b]));
      await sleep(1);
    }
    let ack;
    do ack = textOf(await conn.readFrame());
    while (!ack.startsWith('43'));
    assert.equal(ack, '434[{"ok":true,"users":[]}]');
  } finally {
    conn.socket.destroy();
  }
});

test('a fragmented message with a ping between its fragments is joined; the ping gets its pong', async () => {
  const conn = await rawConnected();
  try {
    conn.socket.write(
      Buffer.concat([
        frame(1, '427["presence-', { fin: false }),
        frame(9, 'still there?'),
        frame(0, 'subscribe",{"userIds":', { fin: false }),
        frame(0, '[]}]'),
      ]),
    );
    const pong = await conn.readFrame();
    assert.equal(pong.opcode, 10, 'pong');
    assert.equal(textOf(pong), 'still there?');
    const ack = await conn.readFrame();
    assert.equal(textOf(ack), '437[{"ok":true,"users":[]}]');
  } finally {
    conn.socket.destroy();
  }
});

for (const [label, bytes, code] of [
  ['an unmasked client frame', () => frame(1, '3', { mask: false }), 1002],
  ['a reserved opcode', () => frame(3, 'x'), 1002],
  ['a continuation with no message', () => frame(0, 'x'), 1002],
  ['a ping over 125 bytes', () => frame(9, 'p'.repeat(126)), 1002],
  ['text that is not UTF-8', () => frame(1, Buffer.from([0x34, 0x32, 0xc3, 0x28])), 1007],
]) {
  test(`${label} → close frame ${code}, then the server closes the connection`, async () => {
    const conn = await rawUpgrade();
    try {
      await conn.readFrame(); // open
      conn.socket.write(bytes());
      let f;
      do f = await conn.readFrame();
      while (f && f.opcode !== 8);
      assert.ok(f, 'a close frame before the connection ends');
      assert.equal(f.payload.readUInt16BE(0), code);
      assert.ok(await conn.untilEnd(), 'the server closes the TCP connection');
    } finally {
      conn.socket.destroy();
    }
  });
}

test('the client closing with a code gets the same code back (closing handshake)', async () => {
  const conn = await open();
  await waitFrame(conn, (f) => f.startsWith('0{'));
  conn.ws.close(4001, 'bye');
  const code = await withTimeout(conn.closed, 3000, 'the close handshake completes');
  assert.equal(code, 4001);
});

test('a ping from the client is answered with its payload', async () => {
  const conn = await open();
  try {
    await waitFrame(conn, (f) => f.startsWith('0{'));
    const pong = new Promise((resolve) => conn.ws.once('pong', (data) => resolve(data.toString())));
    conn.ws.ping('are you alive');
    assert.equal(await withTimeout(pong, 3000, 'pong'), 'are you alive');
  } finally {
    conn.ws.terminate();
  }
});

test('a second WebSocket on an upgraded session is accepted, then closed by the server with 1000', async () => {
  const conn = await open();
  try {
    const open0 = await waitFrame(conn, (f) => f.startsWith('0{'));
    const sid = JSON.parse(open0.slice(1)).sid;
    const second = new WebSocket(`ws://127.0.0.1:${server.port}${PATH}&sid=${sid}`);
    second.on('error', () => {});
    const code = await withTimeout(
      new Promise((resolve) => second.on('close', (c) => resolve(c))),
      7000,
      'the second WebSocket closed',
    );
    assert.equal(code, 1000);
  } finally {
    conn.ws.terminate();
  }
});

test('a client that stops reading is dropped once its unsent output passes REALTIME_QUEUE_BYTES', async () => {
  const small = await startServer({ REALTIME_QUEUE_BYTES: String(64 * 1024) });
  const saved = server;
  server = small; // rawUpgrade() talks to `server`
  let a;
  let b;
  try {
    const A2 = await signup(small);
    const B2 = await signup(small);
    // B connects on raw TCP and then reads nothing more.
    b = await rawUpgrade();
    await b.readFrame(); // open
    b.socket.write(frame(1, `40${JSON.stringify({ token: B2.token })}`));
    assert.ok(textOf(await b.readFrame()).startsWith('40{'));
    b.socket.pause();
    a = await connectSocket(small.base, { token: A2.token, transports: ['websocket'] });
    const sub = await emitWithAck(a, 'presence-subscribe', { userIds: [B2.user.id] });
    assert.equal(sub.users[0].status, 'online');
    const offline = waitFor(a, 'user-offline', 60000, { filter: (p) => p.userId === B2.user.id });
    // ~6 KB per message-received frame: the kernel's socket buffers fill first (a few
    // MB on loopback), then the server's queue passes 64 KB. Bounded: at most 4,000
    // messages, stopping as soon as B is gone.
    const text = '€'.repeat(2000);
    let gone = false;
    offline.then(() => (gone = true), () => {});
    let sent = 0;
    while (!gone && sent < 4000) {
      // A few at a time: the sender's own acks (each carries the message) must stay
      // under the same 64 KB bound.
      await Promise.all(
        Array.from({ length: 5 }, () => emitWithAck(a, 'send-message', { to: B2.user.id, text }, 20000)),
      );
      sent += 5;
    }
    const info = await offline;
    assert.equal(info.userId, B2.user.id);
    assert.ok(sent < 4000, 'dropped before the bound of the test');
    assert.match(small.output(), /realtime queue over its bound/);
    // The sender is still served, and the messages B missed stay undelivered for its next
    // connect (stored before their acks).
    const again = await emitWithAck(a, 'send-message', { to: B2.user.id, text: 'after' });
    assert.equal(again.ok, true);
  } finally {
    server = saved;
    closeAll(a);
    b?.socket.destroy();
    await stopClean(small);
  }
});
