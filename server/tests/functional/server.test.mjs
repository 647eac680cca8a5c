// The binary as an operator sees it: commands, configuration, health, static
// files, headers, persistence and graceful shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, runOnce, signup, makeDataDir, expectError, rawRequest } from './harness.mjs';

test('--help, --version and unknown arguments', async () => {
  const help = await runOnce(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /serve/);
  assert.match(help.stdout, /migrate/);
  const version = await runOnce(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^samwaad \d+\.\d+\.\d+/);
  assert.equal((await runOnce(['frobnicate'])).code, 2);
});

test('bad configuration stops start-up with one line naming the variable', async () => {
  const cases = [
    [{ PORT: 'http' }, 'PORT'],
    [{ PORT: '99999' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
    [{ MEDIA_URL: 'ftp://x' }, 'MEDIA_URL'],
    [{ TOKEN_EXPIRY: 'forever' }, 'TOKEN_EXPIRY'],
    [{ RATE_LIMITS: 'sometimes' }, 'RATE_LIMITS'],
    [{ MONGODB_URI: 'mongodb://localhost/chat' }, 'MONGODB_URI'],
    [{ CLOUDINARY_URL: 'cloudinary://k:s@c' }, 'CLOUDINARY_URL'],
    [{ JWT_SECRET: 'tooshort' }, 'JWT_SECRET'],
  ];
  const dir = makeDataDir();
  for (const [env, name] of cases) {
    const res = await runOnce(['serve'], { DATA_DIR: dir, ...env }, dir);
    assert.notEqual(res.code, 0, name);
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${name}: ${res.stderr}`);
    assert.match(lines[0], new RegExp(name));
    if (env.JWT_SECRET) assert.ok(!res.stderr.includes(env.JWT_SECRET), 'secret not echoed');
  }
});

test('.env file is read, the environment wins', async () => {
  const dir = makeDataDir();
  writeFileSync(join(dir, '.env'), 'PORT=not-a-port\n');
  const fromFile = await runOnce(['serve'], { DATA_DIR: dir }, dir);
  assert.match(fromFile.stderr, /PORT/);
  const server = await startServer({}, { dataDir: dir });
  assert.ok(server.port > 0);
  await server.stop();
});

test('migrate applies the schema and is idempotent', async () => {
  const dir = makeDataDir();
  const first = await runOnce(['migrate'], { DATA_DIR: dir }, dir);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /schema version \d+/);
  const second = await runOnce(['migrate'], { DATA_DIR: dir }, dir);
  assert.equal(second.stdout, first.stdout);
});

test('health, readiness and metrics', async () => {
  const server = await startServer();
  try {
    assert.equal((await server.api('GET', '/healthz')).status, 200);
    const ready = await server.api('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.json.database, 'ok');
    await server.api('GET', '/api/v1/users/me');
    const metrics = await server.api('GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type'), /text\/plain/);
    assert.match(metrics.text, /samwaad_http_requests_total\{method="GET",route="\/api\/v1\/users\/me",status="401"\} 1/);
    assert.match(metrics.text, /samwaad_http_request_duration_seconds_bucket\{route="\/healthz",le="\+Inf"\} 1/);
    assert.match(metrics.text, /samwaad_http_open_connections \d+/);
    assert.match(metrics.text, /samwaad_store_writes_queued \d+/);
    assert.match(metrics.text, /samwaad_store_messages_unapplied \d+/);
    assert.match(metrics.text, /samwaad_store_background_apply [01]\n/);
    // The store's counters: a message through the journal is one sync, and
    // its apply one commit (the read below waits for it).
    const A = await signup(server);
    const B = await signup(server);
    const sent = await server.api('POST', '/api/v1/messages', { token: A.token, body: { to: B.user.id, text: 'hi' } });
    assert.equal(sent.status, 201, sent.text);
    const conversation = sent.json.message.conversationId;
    assert.equal((await server.api('GET', `/api/v1/messages/${conversation}`, { token: B.token })).status, 200);
    const after = (await server.api('GET', '/metrics')).text;
    const counter = (name) => {
      const m = after.match(new RegExp(`^# TYPE ${name} counter\n${name} (\\d+)$`, 'm'));
      assert.ok(m, `${name} missing:\n${after}`);
      return Number(m[1]);
    };
    assert.equal(counter('samwaad_store_journaled_messages_total'), 1);
    assert.equal(counter('samwaad_store_journal_syncs_total'), 1);
    assert.ok(counter('samwaad_store_commits_total') >= 1);
    assert.ok(counter('samwaad_store_commit_writes_total') >= 1);
    assert.equal(counter('samwaad_store_folded_receipts_total'), 0);
    // In the background or not depends on the race with the read (and on
    // the right to return from background priority): only its bounds.
    assert.ok(counter('samwaad_store_background_commits_total') <= counter('samwaad_store_commits_total'));
  } finally {
    await server.stop();
  }
});

test('the web client: assets cached for good, app routes fall back to index.html', async () => {
  const server = await startServer();
  try {
    const asset = await server.api('GET', '/assets/app-1a2b3c.js');
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    for (const route of ['/', '/login', '/signup', '/chat', '/call/0123456789abcdef01234567', '/profile']) {
      const page = await server.api('GET', route);
      assert.equal(page.status, 200, route);
      assert.match(page.text, /<div id="root">/);
      assert.match(page.headers.get('content-security-policy'), /script-src 'self'/);
      assert.match(page.headers.get('content-security-policy'), /frame-ancestors 'none'/);
    }
    assert.equal((await server.api('GET', '/missing.js')).status, 404);
    const { readFileSync } = await import('node:fs');
    const secret = readFileSync(join(server.dataDir, 'jwt_secret'), 'utf8').trim();
    for (const target of ['/assets/../../jwt_secret', '/assets/%2e%2e/%2e%2e/jwt_secret', '/..%2fjwt_secret']) {
      const res = await rawRequest(server.port, [`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
      assert.ok(!res.data.includes(secret), `${target} leaks a file outside the web root`);
    }
    const api404 = await server.api('GET', '/api/v1/unknown');
    expectError(api404, 404, 'not_found');
  } finally {
    await server.stop();
  }
});

test('security headers and request ids on every response', async () => {
  const server = await startServer();
  try {
    const res = await server.api('GET', '/api/v1/users/me', { headers: { 'x-request-id': 'trace-abc-123' } });
    assert.equal(res.headers.get('x-request-id'), 'trace-abc-123');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.match(res.headers.get('content-security-policy'), /frame-ancestors 'none'/);
    const generated = await server.api('GET', '/healthz');
    assert.match(generated.headers.get('x-request-id'), /^[0-9a-f]{16}$/);
    const hostile = await server.api('GET', '/healthz', { headers: { 'x-request-id': 'bad id\twith spaces' } });
    assert.notEqual(hostile.headers.get('x-request-id'), 'bad id\twith spaces');
  } finally {
    await server.stop();
  }
});

test('CORS only for CLIENT_URL', async () => {
  const server = await startServer({ CLIENT_URL: 'http://app.example.test:5173' });
  try {
    const ok = await server.api('GET', '/healthz', { headers: { origin: 'http://app.example.test:5173' } });
    assert.equal(ok.headers.get('access-control-allow-origin'), 'http://app.example.test:5173');
    const other = await server.api('GET', '/healthz', { headers: { origin: 'http://evil.test' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const preflight = await server.api('OPTIONS', '/api/v1/auth/login', {
      headers: { origin: 'http://app.example.test:5173', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers'), /Authorization/);
  } finally {
    await server.stop();
  }
});

test('the generated JWT secret is kept 0600 in the data dir and survives restarts', async () => {
  const dir = makeDataDir();
  const first = await startServer({}, { dataDir: dir });
  const account = await signup(first);
  await first.stop({ keepData: true });
  const mode = statSync(join(dir, 'jwt_secret')).mode & 0o777;
  assert.equal(mode, 0o600);
  const second = await startServer({}, { dataDir: dir });
  try {
    const me = await second.api('GET', '/api/v1/users/me', { token: account.token });
    assert.equal(me.status, 200, 'token and user survive a restart');
    const login = await second.api('POST', '/api/v1/auth/login', { body: { email: account.email, password: account.password } });
    assert.equal(login.status, 200);
  } finally {
    await second.stop();
  }
  assert.ok(existsSync(join(dir, 'samwaad.db')));
});

test('SIGTERM lets an in-flight request finish, then exits cleanly', async () => {
  const server = await startServer({ LOG_LEVEL: 'info' });
  const pending = server.api('POST', '/api/v1/auth/signup', {
    body: { name: 'Late Comer', email: `late.${Date.now()}@example.com`, password: 'long enough' } });
  await new Promise((r) => setTimeout(r, 30));
  server.child.kill('SIGTERM');
  const res = await pending;
  assert.equal(res.status, 201);
  const { code } = await server.exited;
  assert.equal(code, 0, server.output());
  assert.ok(!server.output().includes('ERROR: AddressSanitizer'), 'no sanitizer report');
  // The shutdown's own lines are structured like every other: one JSON
  // object per line, for the log shippers that parse them.
  const lines = server.output().split('\n').filter((line) => line.startsWith('{'));
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
  const events = lines.map((line) => JSON.parse(line).event?.msg);
  assert.ok(events.includes('shutting down') && events.includes('stopped'), events.join(', '));
});

test('threads are named by their job', async () => {
  const server = await startServer();
  const names = readdirSync(`/proc/${server.child.pid}/task`).map((tid) =>
    readFileSync(`/proc/${server.child.pid}/task/${tid}/comm`, 'utf8').trim());
  await server.stop();
  const count = (name) => names.filter((n) => n === name).length;
  // STORAGE_WORKERS (64) and the two password-hashing threads, each named.
  assert.equal(count('samwaad-worker'), 64, names.join(', '));
  assert.equal(count('samwaad-bcrypt'), 2, names.join(', '));
  assert.equal(count('store-commit'), 1, names.join(', '));
  assert.equal(count('store-journal'), 1, names.join(', '));
});

test('no secret ever reaches the log', async () => {
  const server = await startServer({ LOG_LEVEL: 'info', JWT_SECRET: 's'.repeat(40) + 'SECRETMARK' });
  const account = await signup(server, { password: 'PASSWORDMARK-123' });
  await server.api('GET', '/api/v1/users/me', { token: account.token });
  await server.api('POST', '/api/v1/auth/login', { body: { email: account.email, password: 'PASSWORDMARK-123' } });
  await server.stop();
  const log = server.output();
  assert.match(log, /"msg":"request"/);
  for (const secret of ['SECRETMARK', 'PASSWORDMARK', account.token, account.token.split('.')[2]]) {
    assert.ok(!log.includes(secret), `log leaks ${secret.slice(0, 12)}`);
  }
});
