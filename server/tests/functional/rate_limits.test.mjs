// Rate limits on signup and login, per client address and per email.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, signup, uniqueEmail, expectError } from './harness.mjs';

test('signup is limited per address with Retry-After', async () => {
  const server = await startServer({ RATE_LIMITS: 'on' });
  try {
    for (let i = 0; i < 10; i++) await signup(server);
    const res = await server.api('POST', '/api/v1/auth/signup', {
      body: { name: 'One Too Many', email: uniqueEmail(), password: 'long enough' } });
    expectError(res, 429, 'rate_limited');
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
  } finally {
    await server.stop();
  }
});

test('failed logins are limited per email; the right password is refused too while limited', async () => {
  const server = await startServer({ RATE_LIMITS: 'on' });
  try {
    const account = await signup(server);
    for (let i = 0; i < 10; i++) {
      const res = await server.api('POST', '/api/v1/auth/login', { body: { email: account.email, password: `wrong-${i}-pass` } });
      expectError(res, 401, 'unauthorized');
    }
    const limited = await server.api('POST', '/api/v1/auth/login', { body: { email: account.email, password: account.password } });
    expectError(limited, 429, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    // Another account from the same address is unaffected.
    const other = await signup(server);
    const ok = await server.api('POST', '/api/v1/auth/login', { body: { email: other.email, password: other.password } });
    assert.equal(ok.status, 200);
  } finally {
    await server.stop();
  }
});

test('RATE_LIMITS=off turns the limits off', async () => {
  const server = await startServer({ RATE_LIMITS: 'off' });
  try {
    const account = await signup(server);
    for (let i = 0; i < 12; i++) {
      await server.api('POST', '/api/v1/auth/login', { body: { email: account.email, password: 'wrong password' } });
    }
    const ok = await server.api('POST', '/api/v1/auth/login', { body: { email: account.email, password: account.password } });
    assert.equal(ok.status, 200);
  } finally {
    await server.stop();
  }
});

test('a login storm does not stall other traffic', async () => {
  const server = await startServer();
  try {
    const account = await signup(server);
    const storm = [];
    for (let i = 0; i < 24; i++) {
      storm.push(server.api('POST', '/api/v1/auth/login', { body: { email: account.email, password: 'wrong password' } }));
    }
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const me = await server.api('GET', '/api/v1/users/me', { token: account.token });
    const elapsed = Date.now() - started;
    assert.equal(me.status, 200);
    assert.ok(elapsed < 1000, `GET /users/me took ${elapsed} ms during the storm`);
    const results = await Promise.all(storm);
    assert.ok(results.every((r) => r.status === 401 || r.status === 503));
  } finally {
    await server.stop();
  }
});
