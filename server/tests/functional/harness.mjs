// Starts the real `samwaad` binary on an ephemeral loopback port with a fresh
// data directory, and offers small helpers to talk to it over real HTTP.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

export const BIN = process.env.SAMWAAD_BIN;
if (!BIN) throw new Error('SAMWAAD_BIN must point at the samwaad binary');

export function makeDataDir() {
  return mkdtempSync(join(tmpdir(), 'samwaad-test-'));
}

function makeWebDir(root) {
  const web = join(root, 'web');
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>Samwaad</title><div id="root"></div>');
  writeFileSync(join(web, 'assets', 'app-1a2b3c.js'), 'console.log("app")');
  return web;
}

// Runs the binary to completion (for --help, migrate, bad config).
export function runOnce(args, env = {}, cwd) {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { env: { PATH: process.env.PATH, ...env }, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function startServer(extraEnv = {}, { dataDir } = {}) {
  const root = dataDir ?? makeDataDir();
  const env = {
    PATH: process.env.PATH,
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: root,
    WEB_DIR: makeWebDir(root),
    RATE_LIMITS: 'off',
    LOG_LEVEL: 'warn',
    ASAN_OPTIONS: 'detect_leaks=1',
    ...extraEnv,
  };
  const child = spawn(BIN, ['serve'], { env, cwd: root });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /serving on http:\/\/localhost:(\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    port,
    base,
    dataDir: root,
    child,
    output: () => stdout + stderr,
    exited,
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null) child.kill('SIGTERM');
      const result = await exited;
      if (!keepData && !dataDir) rmSync(root, { recursive: true, force: true });
      return result;
    },
    api: (method, path, opts = {}) => api(base, method, path, opts),
  };
}

export async function api(base, method, path, { token, body, headers = {}, raw } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method, headers: h, body: payload });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

let counter = 0;
export function uniqueEmail(prefix = 'user') {
  counter += 1;
  return `${prefix}.${process.pid}.${Date.now()}.${counter}@example.com`;
}

export async function signup(server, { name = 'Test User', email = uniqueEmail(), password = 'correct horse battery' } = {}) {
  const res = await server.api('POST', '/api/v1/auth/signup', { body: { name, email, password } });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
  return { ...res.json, email, password };
}

// Sends raw bytes over a TCP socket and collects the reply until the server closes.
export function rawRequest(port, chunks, { delayMs = 0, timeoutMs = 10000 } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let closedBy = 'server';
    const started = Date.now();
    const timer = setTimeout(() => {
      closedBy = 'timeout';
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closedBy, ms: Date.now() - started });
    });
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      }
    });
  });
}

// Checks status and the contract's error shape.
export function expectError(res, status, code, field) {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.text}`);
  const error = res.json?.error;
  if (!error || error.code !== code || typeof error.message !== 'string') {
    throw new Error(`expected error code ${code}, got ${res.text}`);
  }
  if (field && !(error.fields && typeof error.fields[field] === 'string')) {
    throw new Error(`expected fields.${field}, got ${res.text}`);
  }
}

// ---------------------------------------------------------------------------
// Realtime helpers (Socket.IO). socket.io-client is imported lazily so the
// suites that do not use it run without server/tests/node_modules.

export const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
export const HEX_ID = /^[0-9a-f]{24}$/;

// Each realtime behaviour is tested on every way a client can connect:
// [name, socket.io-client `transports` option].
export const TRANSPORT_SETUPS = [
  ['websocket', ['websocket']],
  ['polling', ['polling']],
  ['polling+upgrade', undefined],
];

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let ioPromise;
async function loadIo() {
  ioPromise ??= import('socket.io-client').then((m) => m.io);
  return ioPromise;
}

// A socket.io-client socket, not yet connected-awaited. Reconnection is off
// unless asked for, so a failing test never leaves a retry loop behind.
// `setup(socket)` runs before connecting: attach listeners there for events
// the server may push right after CONNECT (offline delivery, presence).
// `path` may carry a namespace: makeSocket(base + '/nsp').
export async function makeSocket(base, { token, auth, transports, setup, ...opts } = {}) {
  const io = await loadIo();
  const options = {
    autoConnect: false,
    forceNew: true,
    reconnection: false,
    timeout: 5000,
    ...opts,
  };
  if (auth !== undefined) options.auth = auth;
  else if (token !== undefined) options.auth = { token };
  if (transports) options.transports = transports;
  const socket = io(base, options);
  if (setup) setup(socket);
  socket.connect();
  return socket;
}

// Connects and waits for `connect`; rejects on connect_error or timeout (the
// socket is closed on failure).
export async function connectSocket(base, opts = {}, ms = 8000) {
  const socket = await makeSocket(base, opts);
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connect timed out after ${ms} ms`)), ms);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('connect_error', (err) => {
        clearTimeout(timer);
        reject(new Error(`connect_error: ${err?.message}`));
      });
    });
  } catch (err) {
    socket.close();
    throw err;
  }
  return socket;
}

// Expects the connection to be refused: resolves with the connect_error.
export async function connectError(base, opts = {}, ms = 8000) {
  const socket = await makeSocket(base, opts);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connect_error within ${ms} ms`)), ms);
      socket.once('connect', () => {
        clearTimeout(timer);
        reject(new Error('connected, but a connect_error was expected'));
      });
      socket.once('connect_error', (err) => {
        clearTimeout(timer);
        resolve(err);
      });
    });
  } finally {
    socket.close();
  }
}

// Waits for one `event`; resolves with its first argument (`all: true` gives
// every argument, including an ack callback the server asked for).
export function waitFor(socket, event, ms = 5000, { all = false, filter } = {}) {
  return new Promise((resolve, reject) => {
    const onEvent = (...args) => {
      if (filter && !filter(...args)) return;
      clearTimeout(timer);
      socket.off(event, onEvent);
      resolve(all ? args : args[0]);
    };
    const timer = setTimeout(() => {
      socket.off(event, onEvent);
      reject(new Error(`no '${event}' within ${ms} ms`));
    }, ms);
    socket.on(event, onEvent);
  });
}

// Resolves true if `event` does not arrive within `ms`.
export async function expectNoEvent(socket, event, ms = 500, filter) {
  try {
    const got = await waitFor(socket, event, ms, { filter });
    throw new Error(`unexpected '${event}': ${JSON.stringify(got)}`);
  } catch (err) {
    if (String(err.message).startsWith('no ')) return true;
    throw err;
  }
}

// Records every `event` (payload, ack callback) on a socket.
export function collect(socket, event, { autoAck = false } = {}) {
  const items = [];
  socket.on(event, (payload, ack) => {
    items.push(payload);
    if (autoAck && typeof ack === 'function') ack();
  });
  return items;
}

export async function waitUntil(predicate, ms = 5000, what = 'condition', step = 20) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(step);
  }
}

export function emitWithAck(socket, event, payload, ms = 5000) {
  const s = socket.timeout(ms);
  return payload === undefined ? s.emitWithAck(event) : s.emitWithAck(event, payload);
}

// Waits for the socket's `disconnect`; resolves with the reason.
export function waitForDisconnect(socket, ms = 5000) {
  if (socket.disconnected && !socket.active) return Promise.resolve('already disconnected');
  return waitFor(socket, 'disconnect', ms);
}

export function closeAll(...sockets) {
  for (const s of sockets.flat()) {
    try {
      s?.close();
    } catch {
      // already gone
    }
  }
}

// Checks a realtime ack's contract error shape.
export function expectAckError(ack, code, field) {
  const text = JSON.stringify(ack);
  if (!ack || ack.ok !== false) throw new Error(`expected ok:false, got ${text}`);
  const error = ack.error;
  if (!error || error.code !== code || typeof error.message !== 'string') {
    throw new Error(`expected error code ${code}, got ${text}`);
  }
  if (field && !(error.fields && typeof error.fields[field] === 'string')) {
    throw new Error(`expected fields.${field}, got ${text}`);
  }
}

// Checks the contract's Message shape.
export function checkMessage(message, { from, to, text, clientId } = {}) {
  const t = JSON.stringify(message);
  const fail = (why) => {
    throw new Error(`bad message (${why}): ${t}`);
  };
  if (!message || typeof message !== 'object') fail('not an object');
  for (const key of ['id', 'conversationId', 'from', 'to', 'text', 'image', 'call', 'clientId', 'delivered',
    'deliveredAt', 'read', 'readAt', 'createdAt']) {
    if (!(key in message)) fail(`missing ${key}`);
  }
  for (const key of ['id', 'conversationId', 'from', 'to']) if (!HEX_ID.test(message[key])) fail(`${key} not a 24-hex id`);
  if (!ISO_TIME.test(message.createdAt)) fail('createdAt not ISO');
  if (typeof message.delivered !== 'boolean' || typeof message.read !== 'boolean') fail('delivered/read not boolean');
  if (message.delivered ? !ISO_TIME.test(message.deliveredAt) : message.deliveredAt !== null) fail('deliveredAt');
  if (message.read ? !ISO_TIME.test(message.readAt) : message.readAt !== null) fail('readAt');
  if (from !== undefined && message.from !== from) fail(`from != ${from}`);
  if (to !== undefined && message.to !== to) fail(`to != ${to}`);
  if (text !== undefined && message.text !== text) fail(`text != ${text}`);
  if (clientId !== undefined && message.clientId !== clientId) fail(`clientId != ${clientId}`);
  return message;
}

// Sends over the socket and returns the stored message (throws on ok:false).
export async function sendMessage(socket, payload, ms = 5000) {
  const ack = await emitWithAck(socket, 'send-message', payload, ms);
  if (!ack || ack.ok !== true) throw new Error(`send-message refused: ${JSON.stringify(ack)}`);
  return ack.message;
}

// Stops the server and checks it exited cleanly (exit 0: no sanitizer report,
// no crash); the tail of its output is in the error otherwise.
export async function stopClean(server) {
  if (!server) return;
  const { code, signal } = await server.stop();
  if (signal !== null || code !== 0) {
    throw new Error(`server exit code ${code} signal ${signal}: ${server.output().slice(-4000)}`);
  }
}
