// The bad-input matrix: every request here must get the right status and the
// contract's error shape, and the server must stay healthy afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup, uniqueEmail, expectError, rawRequest } from './harness.mjs';

let server;
let account;
before(async () => {
  server = await startServer({ HTTP_HEADER_TIMEOUT_MS: '800' });
  account = await signup(server);
});
after(async () => {
  const res = await server.api('GET', '/healthz');
  assert.equal(res.status, 200, 'server still healthy after the matrix');
  await server.stop();
});

const post = (path, raw, headers = { 'content-type': 'application/json' }) =>
  server.api('POST', path, { raw, headers });

test('malformed, truncated and non-object JSON', async () => {
  for (const raw of ['{', '{"name": "x",', 'nonsense', '', '[]', '"string"', '42', 'null', '{"a":1}}']) {
    expectError(await post('/api/v1/auth/signup', raw), 400, 'validation');
  }
});

test('wrong types and missing fields name the field', async () => {
  const cases = [
    [{ name: 123, email: uniqueEmail(), password: 'long enough' }, 'name'],
    [{ name: 'Ok Name', email: ['a'], password: 'long enough' }, 'email'],
    [{ name: 'Ok Name', email: uniqueEmail(), password: { p: 1 } }, 'password'],
    [{ email: uniqueEmail(), password: 'long enough' }, 'name'],
    [{ name: 'Ok Name', password: 'long enough' }, 'email'],
    [{ name: 'Ok Name', email: uniqueEmail() }, 'password'],
    [{ name: 'Ok Name', email: uniqueEmail(), password: 'long\u0000enough' }, 'password'],
    [{ name: 'Bad\u0007Name', email: uniqueEmail(), password: 'long enough' }, 'name'],
  ];
  for (const [body, field] of cases) {
    expectError(await post('/api/v1/auth/signup', JSON.stringify(body)), 400, 'validation', field);
  }
  expectError(await post('/api/v1/auth/login', JSON.stringify({ email: 5, password: 'x' })), 400, 'validation', 'email');
});

test('non-UTF-8 bytes are refused', async () => {
  const bytes = Buffer.concat([
    Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from(`","email":"${uniqueEmail()}","password":"long enough"}`),
  ]);
  expectError(await post('/api/v1/auth/signup', bytes), 400, 'validation');
  const overlong = Buffer.concat([Buffer.from('{"bio":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
  expectError(await server.api('PATCH', '/api/v1/users/me/profile', {
    token: account.token, raw: overlong, headers: { 'content-type': 'application/json' } }), 400, 'validation');
});

test('a body that is not JSON is 415', async () => {
  expectError(await post('/api/v1/auth/login', 'email=a&password=b', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
  expectError(await post('/api/v1/auth/login', '{}', {}), 415, 'unsupported_media_type');
});

test('huge bodies are refused with 413 before or while reading', async () => {
  const big = 'x'.repeat(2 * 1024 * 1024);
  expectError(await post('/api/v1/auth/signup', JSON.stringify({ name: big })), 413, 'payload_too_large');
  // Chunked, no Content-Length: counted while streaming.
  const chunks = [];
  chunks.push('POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
  const piece = 'a'.repeat(64 * 1024);
  for (let i = 0; i < 20; i++) chunks.push(`${piece.length.toString(16)}\r\n${piece}\r\n`);
  chunks.push('0\r\n\r\n');
  const res = await rawRequest(server.port, chunks);
  assert.match(res.data, /^HTTP\/1\.1 413/);
  assert.match(res.data, /"code":"payload_too_large"/);
});

test('an oversized request head is refused', async () => {
  const res = await rawRequest(server.port, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40000)}\r\n\r\n`]);
  assert.match(res.data, /^HTTP\/1\.1 431/);
  assert.match(res.data, /"code":"validation"/);
});

test('garbage instead of HTTP gets a 400 and a close', async () => {
  const res = await rawRequest(server.port, ['HELLO THERE\r\n\r\n']);
  assert.match(res.data, /^HTTP\/1\.1 400/);
  assert.equal(res.closedBy, 'server');
});

test('a slow-drip request head is cut off by the header timeout', async () => {
  const drip = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n'.split('');
  const res = await rawRequest(server.port, drip, { delayMs: 100, timeoutMs: 8000 });
  assert.equal(res.closedBy, 'server');
  assert.ok(res.ms < 3000, `closed after ${res.ms} ms`);
  assert.ok(!res.data.includes('200 OK'));
});

test('an idle connection does not block others', async () => {
  const idle = rawRequest(server.port, ['GET /heal'], { timeoutMs: 5000 });
  const res = await server.api('GET', '/healthz');
  assert.equal(res.status, 200);
  await idle;
});

test('bad ids, unknown API paths and methods', async () => {
  expectError(await server.api('GET', '/api/v1/users/not-an-id', { token: account.token }), 400, 'validation', 'id');
  expectError(await server.api('GET', '/api/v1/nope', { token: account.token }), 404, 'not_found');
  expectError(await server.api('GET', '/api/v2/users/me'), 404, 'not_found');
  const wrongMethod = await server.api('DELETE', '/api/v1/auth/login');
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.json.error.code, 'not_found');
  assert.ok(wrongMethod.headers.get('allow').includes('POST'));
});

test('malformed request targets', async () => {
  const res = await rawRequest(server.port, ['GET /api/v1/users?q=%zz HTTP/1.1\r\nHost: x\r\n\r\n']);
  assert.match(res.data, /^HTTP\/1\.1 400/);
  assert.match(res.data, /"code":"validation"/);
});
