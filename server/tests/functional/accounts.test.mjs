// Accounts and profiles through the real binary: every contract call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup, uniqueEmail, expectError } from './harness.mjs';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test('signup returns the owner view and a working token', async () => {
  const email = uniqueEmail('Asha');
  const res = await server.api('POST', '/api/v1/auth/signup', {
    body: { name: '  Asha Kumar ', email: email.toUpperCase(), password: 'correct horse battery' },
  });
  assert.equal(res.status, 201);
  const { user, token } = res.json;
  assert.match(user.id, /^[0-9a-f]{24}$/);
  assert.equal(user.name, 'Asha Kumar');
  assert.equal(user.email, email.toLowerCase());
  assert.equal(user.bio, '');
  assert.equal(user.avatar, null);
  assert.ok(['online', 'offline'].includes(user.status));
  assert.match(user.createdAt, ISO);
  assert.match(user.updatedAt, ISO);
  assert.equal(user.password_hash, undefined);
  assert.equal(user.passwordHash, undefined);
  assert.equal(token.split('.').length, 3);
  const me = await server.api('GET', '/api/v1/users/me', { token });
  assert.equal(me.status, 200);
  assert.equal(me.json.user.id, user.id);
  assert.equal(me.json.user.email, email.toLowerCase());
});

test('a duplicate email in another case is a 409 conflict', async () => {
  const email = uniqueEmail('dup');
  await signup(server, { email });
  const res = await server.api('POST', '/api/v1/auth/signup', {
    body: { name: 'Other', email: email.toUpperCase(), password: 'another password' },
  });
  expectError(res, 409, 'conflict');
});

test('signup validates every field and reports each at its field', async () => {
  const res = await server.api('POST', '/api/v1/auth/signup', {
    body: { name: 'A', email: 'not-an-email', password: 'short' },
  });
  expectError(res, 400, 'validation');
  assert.deepEqual(Object.keys(res.json.error.fields).sort(), ['email', 'name', 'password']);
  const long = await server.api('POST', '/api/v1/auth/signup', {
    body: { name: 'Long Pass', email: uniqueEmail(), password: 'p'.repeat(73) },
  });
  expectError(long, 400, 'validation', 'password');
  const maxOk = await server.api('POST', '/api/v1/auth/signup', {
    body: { name: 'Max Pass', email: uniqueEmail(), password: 'p'.repeat(72) },
  });
  assert.equal(maxOk.status, 201);
  const longName = await server.api('POST', '/api/v1/auth/signup', {
    body: { name: 'n'.repeat(65), email: uniqueEmail(), password: 'long enough' },
  });
  expectError(longName, 400, 'validation', 'name');
});

test('login: same 401 for unknown email and wrong password; case-insensitive email', async () => {
  const account = await signup(server);
  const ok = await server.api('POST', '/api/v1/auth/login', {
    body: { email: account.email.toUpperCase(), password: account.password },
  });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.user.id, account.user.id);
  const wrong = await server.api('POST', '/api/v1/auth/login', {
    body: { email: account.email, password: 'wrong password' },
  });
  const unknown = await server.api('POST', '/api/v1/auth/login', {
    body: { email: uniqueEmail('nobody'), password: 'wrong password' },
  });
  expectError(wrong, 401, 'unauthorized');
  expectError(unknown, 401, 'unauthorized');
  assert.equal(wrong.json.error.message, unknown.json.error.message);
});

test('logout revokes that token at once, not the others', async () => {
  const account = await signup(server);
  const second = await server.api('POST', '/api/v1/auth/login', {
    body: { email: account.email, password: account.password },
  });
  const out = await server.api('POST', '/api/v1/auth/logout', { token: account.token });
  assert.equal(out.status, 204);
  expectError(await server.api('GET', '/api/v1/users/me', { token: account.token }), 401, 'unauthorized');
  assert.equal((await server.api('GET', '/api/v1/users/me', { token: second.json.token })).status, 200);
  expectError(await server.api('POST', '/api/v1/auth/logout', { token: account.token }), 401, 'unauthorized');
});

test('profile: name and bio update, validation, unknown fields refused', async () => {
  const account = await signup(server);
  const res = await server.api('PATCH', '/api/v1/users/me/profile', {
    token: account.token,
    body: { name: 'Renamed Person', bio: 'Tea, trains and\nlong walks' },
  });
  assert.equal(res.status, 200);
  assert.equal(res.json.user.name, 'Renamed Person');
  assert.equal(res.json.user.bio, 'Tea, trains and\nlong walks');
  assert.ok(res.json.user.updatedAt >= account.user.updatedAt);
  const onlyBio = await server.api('PATCH', '/api/v1/users/me/profile', { token: account.token, body: { bio: '' } });
  assert.equal(onlyBio.json.user.name, 'Renamed Person');
  assert.equal(onlyBio.json.user.bio, '');
  expectError(
    await server.api('PATCH', '/api/v1/users/me/profile', { token: account.token, body: { bio: 'b'.repeat(281) } }),
    400, 'validation', 'bio');
  expectError(
    await server.api('PATCH', '/api/v1/users/me/profile', { token: account.token, body: { name: 42 } }),
    400, 'validation', 'name');
  expectError(
    await server.api('PATCH', '/api/v1/users/me/profile', { token: account.token, body: { email: 'x@y.com' } }),
    400, 'validation', 'email');
  const emoji = await server.api('PATCH', '/api/v1/users/me/profile', {
    token: account.token, body: { bio: '😀'.repeat(280) } });
  assert.equal(emoji.status, 200, 'bio length counts code points, not bytes');
});

test('user by id and search: public view, prefix match, never the caller, limits', async () => {
  const tag = `zq${Date.now().toString(36)}`;
  const a = await signup(server, { name: `${tag} Alpha`, email: uniqueEmail(`${tag}a`) });
  const b = await signup(server, { name: `${tag} Beta`, email: uniqueEmail(`${tag}b`) });
  const c = await signup(server, { name: `Gamma ${tag}`, email: uniqueEmail(`${tag}c`) });

  const byId = await server.api('GET', `/api/v1/users/${b.user.id}`, { token: a.token });
  assert.equal(byId.status, 200);
  assert.deepEqual(Object.keys(byId.json.user).sort(), ['avatar', 'bio', 'createdAt', 'id', 'lastSeen', 'name', 'status']);

  const found = await server.api('GET', `/api/v1/users?q=${tag.toUpperCase()}`, { token: a.token });
  assert.equal(found.status, 200);
  const ids = found.json.users.map((u) => u.id);
  assert.ok(ids.includes(b.user.id), 'name prefix, case-insensitive');
  assert.ok(ids.includes(c.user.id), 'email prefix');
  assert.ok(!ids.includes(a.user.id), 'never the caller');
  assert.ok(found.json.users.every((u) => u.email === undefined), 'others never see email');

  const limited = await server.api('GET', `/api/v1/users?q=${tag}&limit=1`, { token: a.token });
  assert.equal(limited.json.users.length, 1);
  for (const bad of ['0', '51', 'x', '1.5', '-3']) {
    expectError(await server.api('GET', `/api/v1/users?limit=${bad}`, { token: a.token }), 400, 'validation', 'limit');
  }
  const literal = await server.api('GET', `/api/v1/users?q=${encodeURIComponent('%')}`, { token: a.token });
  assert.equal(literal.status, 200);
  assert.equal(literal.json.users.length, 0, '% is not a wildcard');
});

test('unknown and malformed user ids', async () => {
  const a = await signup(server);
  expectError(await server.api('GET', '/api/v1/users/0123456789abcdef01234567', { token: a.token }), 404, 'not_found');
  for (const bad of ['123', 'ZZZZZZZZZZZZZZZZZZZZZZZZ', '0123456789ABCDEF01234567', "'%20OR%201=1"]) {
    expectError(await server.api('GET', `/api/v1/users/${bad}`, { token: a.token }), 400, 'validation', 'id');
  }
});

test('missing, forged and garbage tokens are 401', async () => {
  const a = await signup(server);
  expectError(await server.api('GET', '/api/v1/users/me'), 401, 'unauthorized');
  const [h, p] = a.token.split('.');
  const forged = `${h}.${p}.${'A'.repeat(43)}`;
  expectError(await server.api('GET', '/api/v1/users/me', { token: forged }), 401, 'unauthorized');
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
  expectError(await server.api('GET', '/api/v1/users/me', { token: none }), 401, 'unauthorized');
  expectError(await server.api('GET', '/api/v1/users/me', { token: 'garbage' }), 401, 'unauthorized');
  expectError(await server.api('GET', '/api/v1/users/me', { headers: { authorization: `Basic ${a.token}` } }), 401, 'unauthorized');
});

test('expired tokens are 401', async () => {
  const short = await startServer({ TOKEN_EXPIRY: '1s' });
  try {
    const a = await signup(short);
    assert.equal((await short.api('GET', '/api/v1/users/me', { token: a.token })).status, 200);
    await new Promise((r) => setTimeout(r, 2100));
    expectError(await short.api('GET', '/api/v1/users/me', { token: a.token }), 401, 'unauthorized');
  } finally {
    await short.stop();
  }
});

test('passwords are stored as bcrypt $2b$ cost 12', async () => {
  const { execFileSync } = await import('node:child_process');
  const account = await signup(server);
  let hash;
  try {
    hash = execFileSync('sqlite3', [`${server.dataDir}/samwaad.db`, `select password_hash from users where id='${account.user.id}'`]).toString().trim();
  } catch {
    // sqlite3 CLI not installed: read the file bytes instead.
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(`${server.dataDir}/samwaad.db`).toString('latin1') +
      (() => { try { return readFileSync(`${server.dataDir}/samwaad.db-wal`).toString('latin1'); } catch { return ''; } })();
    hash = /\$2b\$12\$[./A-Za-z0-9]{53}/.exec(bytes)?.[0];
  }
  assert.match(hash, /^\$2b\$12\$[./A-Za-z0-9]{53}$/);
});
