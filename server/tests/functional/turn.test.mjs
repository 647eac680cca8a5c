// TURN credentials proven against a real coturn (Debian's `coturn`) on
// loopback: it accepts an allocation with the credentials GET
// /calls/ice-servers hands out, relays through it, and refuses expired and
// forged ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, signup, expectError, stopClean, waitUntil } from './harness.mjs';

const SECRET = randomBytes(24).toString('hex');
const children = [];
let server;
let turnPort;
let peerPort;
const turnDir = mkdtempSync(path.join(tmpdir(), 'samwaad-turn-'));

// A port free for both UDP and TCP on 127.0.0.1 (coturn listens on both).
async function freePort() {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise((resolve, reject) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
      s.on('error', reject);
    });
    const udpFree = await new Promise((resolve) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port');
}

function startChild(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  child.output = () => out;
  children.push(child);
  return child;
}

// Allocates on coturn with the credentials and sends 5 messages through the
// relay to a UDP echo peer; resolves with the exit code and output.
function uclient(username, password) {
  return new Promise((resolve) => {
    execFile(
      'turnutils_uclient',
      ['-u', username, '-w', password, '-p', String(turnPort), '-e', '127.0.0.1', '-r', String(peerPort),
        '-n', '5', '-m', '1', '-l', '100', '127.0.0.1'],
      { timeout: 30000 },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

function restCredential(username) {
  return createHmac('sha1', SECRET).update(username).digest('base64');
}

before(async () => {
  turnPort = await freePort();
  peerPort = await freePort();
  const turn = startChild('turnserver', [
    '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${turnPort}`,
    '--use-auth-secret', `--static-auth-secret=${SECRET}`, '--realm=samwaad',
    '--allow-loopback-peers', '--no-tls', '--no-dtls', '--no-cli', '--log-file=stdout', '--simple-log',
    '--min-port=49152', '--max-port=49352',
    // Its own database and pid file, not the system coturn's.
    `--userdb=${path.join(turnDir, 'turndb')}`, `--pidfile=${path.join(turnDir, 'turnserver.pid')}`,
  ]);
  startChild('turnutils_peer', ['-L', '127.0.0.1', '-p', String(peerPort)]);
  await waitUntil(() => /Total General servers|listener opened on/.test(turn.output()), 10000, 'coturn to listen');
  server = await startServer({
    TURN_URLS: `stun:127.0.0.1:${turnPort},turn:127.0.0.1:${turnPort}?transport=udp`,
    TURN_SECRET: SECRET,
  });
});

after(async () => {
  for (const c of children) c.kill('SIGTERM');
  rmSync(turnDir, { recursive: true, force: true });
  await stopClean(server);
});

test('GET /calls/ice-servers needs a token and never lets a cache keep the credentials', async () => {
  expectError(await server.api('GET', '/api/v1/calls/ice-servers'), 401, 'unauthorized');
  const U = await signup(server, { name: 'Ice Asker' });
  const res = await server.api('GET', '/api/v1/calls/ice-servers', { token: U.token });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const { iceServers, ttl } = res.json;
  assert.equal(ttl, 86400);
  assert.deepEqual(iceServers[0], { urls: [`stun:127.0.0.1:${turnPort}`] });
  const turn = iceServers[1];
  assert.deepEqual(turn.urls, [`turn:127.0.0.1:${turnPort}?transport=udp`]);
  const [expiry, userId] = turn.username.split(':');
  assert.equal(userId, U.user.id);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(Math.abs(Number(expiry) - (now + ttl)) <= 5, `expiry ${expiry}`);
  assert.equal(turn.credential, restCredential(turn.username));
});

test('coturn accepts the handed-out credentials and relays; refuses expired and forged ones', async () => {
  const U = await signup(server, { name: 'Turn User' });
  const res = await server.api('GET', '/api/v1/calls/ice-servers', { token: U.token });
  const turn = res.json.iceServers.find((s) => s.urls[0].startsWith('turn:'));

  const good = await uclient(turn.username, turn.credential);
  assert.equal(good.code, 0, good.output.slice(-2000));
  assert.match(good.output, /tot_recv_msgs=10/, 'messages came back through the relay');
  assert.match(good.output, /Total lost packets 0 /);

  const expiredName = `${Math.floor(Date.now() / 1000) - 60}:${U.user.id}`;
  const expired = await uclient(expiredName, restCredential(expiredName));
  assert.notEqual(expired.code, 0, 'an expired credential is refused');
  assert.match(expired.output, /Cannot complete Allocation/);

  const forgedPassword = await uclient(turn.username, createHmac('sha1', 'not-the-secret').update(turn.username).digest('base64'));
  assert.notEqual(forgedPassword.code, 0, 'a credential made with another secret is refused');

  const [expiry, userId] = turn.username.split(':');
  const extended = await uclient(`${Number(expiry) + 86400}:${userId}`, turn.credential);
  assert.notEqual(extended.code, 0, 'a username whose expiry was pushed out is refused');
});
