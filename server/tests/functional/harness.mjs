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
