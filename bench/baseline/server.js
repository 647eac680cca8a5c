'use strict';
// Baseline for the Samwaad benchmark: the contract's realtime chat events on
// Node.js socket.io 4, in memory, no database, no bcrypt. It stands for the
// realtime path of the original NestJS/socket.io design at its fastest, so the
// load generator in ../loadgen can run the same workload against it and against
// Samwaad in the same invocation.
//
// REST:   POST /api/v1/auth/signup {name, email, password} -> 201 {user, token}
//         POST /api/v1/auth/login  {email, password}       -> 200 {user, token}
// Socket: handshake auth {token}; send-message (ack {ok, message}),
//         message-received (with ack -> delivered), message-sent, message-delivered,
//         message-read / message-read-confirm, typing, presence-subscribe,
//         user-online / user-offline.
//
// PORT (default 3100), HOST (default 127.0.0.1).

const http = require('node:http');
const crypto = require('node:crypto');
const { Server } = require('socket.io');

const PORT = Number(process.env.PORT || 3100);
const HOST = process.env.HOST || '127.0.0.1';
// Messages kept in memory for read receipts and idempotency; the oldest are
// dropped beyond this many so a long run does not grow the heap without bound.
const MAX_MESSAGES = Number(process.env.BASELINE_MAX_MESSAGES || 50000);

// ---- ids: MongoDB ObjectId layout (4-byte seconds, 5 random bytes, 3-byte counter)
const processRandom = crypto.randomBytes(5).toString('hex');
let idCounter = crypto.randomBytes(3).readUIntBE(0, 3);
function newId() {
  idCounter = (idCounter + 1) & 0xffffff;
  const secs = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return secs + processRandom + idCounter.toString(16).padStart(6, '0');
}
const ID_RE = /^[0-9a-f]{24}$/;

// ---- state
const users = new Map(); // id -> user
const usersByEmail = new Map(); // email -> user
const tokens = new Map(); // token -> userId
const socketsByUser = new Map(); // userId -> Set<socket>
const conversations = new Map(); // "a:b" (sorted) and id -> {id, members:[a,b], unread: Map(userId -> {ids, head}), pendingDelivery: Set}
const partners = new Map(); // userId -> Set<userId> (conversation partners)
const subscribers = new Map(); // userId -> Set<socket> (presence-subscribe)
const messages = new Map(); // id -> message (insertion ordered, bounded)
const byClientId = new Map(); // from + ':' + clientId -> message (bounded with messages)

function publicUser(u) {
  return {
    id: u.id, name: u.name, bio: u.bio, avatar: null,
    status: socketsByUser.has(u.id) ? 'online' : 'offline',
    lastSeen: u.lastSeen, createdAt: u.createdAt,
  };
}
function ownUser(u) {
  return { ...publicUser(u), email: u.email, updatedAt: u.updatedAt };
}
function err(code, message, fields) {
  const e = { code, message };
  if (fields) e.fields = fields;
  return { ok: false, error: e };
}

function conversationOf(a, b) {
  const key = a < b ? a + ':' + b : b + ':' + a;
  let c = conversations.get(key);
  if (!c) {
    c = { id: newId(), members: [a, b], unread: new Map() };
    conversations.set(key, c);
    conversations.set(c.id, c);
    if (!partners.has(a)) partners.set(a, new Set());
    if (!partners.has(b)) partners.set(b, new Set());
    partners.get(a).add(b);
    partners.get(b).add(a);
  }
  return c;
}

function remember(m) {
  messages.set(m.id, m);
  if (m.clientId != null) byClientId.set(m.from + ':' + m.clientId, m);
  if (messages.size > MAX_MESSAGES) {
    const oldest = messages.values().next().value;
    messages.delete(oldest.id);
    // forgotten: no longer pushed again on connect either
    const c = conversations.get(oldest.conversationId);
    if (c && c.pendingDelivery) c.pendingDelivery.delete(oldest.id);
    if (oldest.clientId != null) byClientId.delete(oldest.from + ':' + oldest.clientId);
  }
}

function emitToUser(userId, event, payload, except) {
  const set = socketsByUser.get(userId);
  if (!set) return;
  for (const s of set) if (s !== except) s.emit(event, payload);
}

function pushMessage(socketOfRecipient, m) {
  socketOfRecipient.emit('message-received', { message: m }, () => markDelivered(m));
}

function markDelivered(m) {
  if (m.delivered) return;
  m.delivered = true;
  m.deliveredAt = new Date().toISOString();
  const c = conversations.get(m.conversationId);
  if (c) {
    // delivered: no longer pushed again on connect
    const pending = c.pendingDelivery;
    if (pending) pending.delete(m.id);
  }
  emitToUser(m.from, 'message-delivered', {
    messageId: m.id, conversationId: m.conversationId, deliveredAt: m.deliveredAt,
  });
}

// ---- REST (just enough for the load generator)
function readJson(req, cb) {
  let body = '';
  let size = 0;
  req.setEncoding('utf8');
  req.on('data', (d) => { size += d.length; if (size < 65536) body += d; });
  req.on('end', () => {
    try { cb(null, JSON.parse(body || '{}')); } catch (e) { cb(e); }
  });
}
function send(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
function signup(body) {
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  const email = typeof body.email === 'string' ? body.email.trim().toLowerCase() : '';
  const password = typeof body.password === 'string' ? body.password : '';
  const fields = {};
  if (name.length < 2 || name.length > 64) fields.name = 'must be 2-64 characters';
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) fields.email = 'must be a valid email';
  if (Buffer.byteLength(password) < 8 || Buffer.byteLength(password) > 72) fields.password = 'must be 8-72 bytes';
  if (Object.keys(fields).length) return [400, { error: { code: 'validation', message: 'invalid input', fields } }];
  if (usersByEmail.has(email)) return [409, { error: { code: 'conflict', message: 'email already registered' } }];
  const now = new Date().toISOString();
  const u = { id: newId(), name, email, password, bio: '', lastSeen: now, createdAt: now, updatedAt: now };
  users.set(u.id, u);
  usersByEmail.set(email, u);
  const token = crypto.randomBytes(24).toString('hex');
  tokens.set(token, u.id);
  return [201, { user: ownUser(u), token }];
}
function login(body) {
  const email = typeof body.email === 'string' ? body.email.trim().toLowerCase() : '';
  const u = usersByEmail.get(email);
  if (!u || u.password !== body.password) return [401, { error: { code: 'unauthorized', message: 'invalid email or password' } }];
  const token = crypto.randomBytes(24).toString('hex');
  tokens.set(token, u.id);
  return [200, { user: ownUser(u), token }];
}

const httpServer = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return send(res, 200, { ok: true });
  if (req.method === 'POST' && (req.url === '/api/v1/auth/signup' || req.url === '/api/v1/auth/login')) {
    return readJson(req, (e, body) => {
      if (e || typeof body !== 'object' || body === null) {
        return send(res, 400, { error: { code: 'validation', message: 'invalid JSON' } });
      }
      const [status, obj] = req.url.endsWith('signup') ? signup(body) : login(body);
      send(res, status, obj);
    });
  }
  // socket.io handles /socket.io/ itself before this listener is reached
  if (!req.url.startsWith('/socket.io/')) send(res, 404, { error: { code: 'not_found', message: 'not found' } });
});

// ---- realtime
const io = new Server(httpServer, {
  pingInterval: 25000,
  pingTimeout: 20000,
  maxHttpBufferSize: 1e6,
  serveClient: false,
  cors: { origin: true },
});

io.use((socket, next) => {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  const userId = typeof token === 'string' ? tokens.get(token) : undefined;
  if (!userId) return next(new Error('unauthorized'));
  socket.data.userId = userId;
  next();
});

io.on('connection', (socket) => {
  const me = socket.data.userId;
  const user = users.get(me);
  let set = socketsByUser.get(me);
  const first = !set;
  if (!set) { set = new Set(); socketsByUser.set(me, set); }
  set.add(socket);
  if (first) {
    const payload = { userId: me, name: user.name, avatar: null };
    const told = new Set();
    const subs = subscribers.get(me);
    if (subs) for (const s of subs) { told.add(s); s.emit('user-online', payload); }
    const ps = partners.get(me);
    if (ps) for (const p of ps) {
      const ss = socketsByUser.get(p);
      if (ss) for (const s of ss) if (!told.has(s)) s.emit('user-online', payload);
    }
  }
  // offline delivery: push what this user has not acknowledged yet
  const ps = partners.get(me);
  if (ps) for (const p of ps) {
    const c = conversationOf(me, p);
    if (c.pendingDelivery) for (const id of c.pendingDelivery) {
      const m = messages.get(id);
      if (m && m.to === me && !m.delivered) pushMessage(socket, m);
    }
  }

  socket.on('send-message', (payload, ack) => {
    const reply = typeof ack === 'function' ? ack : () => {};
    if (!payload || typeof payload !== 'object') return reply(err('validation', 'invalid payload'));
    const { to, text, clientId } = payload;
    if (typeof to !== 'string' || !ID_RE.test(to)) return reply(err('validation', 'invalid input', { to: 'must be an id' }));
    if (text !== undefined && typeof text !== 'string') return reply(err('validation', 'invalid input', { text: 'must be a string' }));
    if (!text || [...text].length > 2000) return reply(err('validation', 'invalid input', { text: 'must be 1-2000 characters' }));
    if (clientId !== undefined && typeof clientId !== 'string') return reply(err('validation', 'invalid input', { clientId: 'must be a string' }));
    if (!users.has(to)) return reply(err('not_found', 'no such user'));
    if (clientId !== undefined) {
      const prev = byClientId.get(me + ':' + clientId);
      if (prev) return reply({ ok: true, message: prev });
    }
    const c = conversationOf(me, to);
    const m = {
      id: newId(), conversationId: c.id, from: me, to, text, image: null, call: null,
      clientId: clientId === undefined ? null : clientId,
      delivered: false, deliveredAt: null, read: false, readAt: null,
      createdAt: new Date().toISOString(),
    };
    remember(m);
    if (!c.pendingDelivery) c.pendingDelivery = new Set();
    c.pendingDelivery.add(m.id);
    // unread ids of this recipient, oldest first: a queue with a head index (O(1) amortised)
    let unread = c.unread.get(to);
    if (!unread) { unread = { ids: [], head: 0 }; c.unread.set(to, unread); }
    unread.ids.push(m.id);
    if (unread.ids.length - unread.head > 10000) unread.head++;
    if (unread.head > 5000) { unread.ids = unread.ids.slice(unread.head); unread.head = 0; }
    reply({ ok: true, message: m });
    const rs = socketsByUser.get(to);
    if (rs) for (const s of rs) pushMessage(s, m);
    emitToUser(me, 'message-sent', { message: m }, socket);
  });

  socket.on('message-read', (payload, ack) => {
    const reply = typeof ack === 'function' ? ack : () => {};
    const messageId = payload && payload.messageId;
    if (typeof messageId !== 'string' || !ID_RE.test(messageId)) return reply(err('validation', 'invalid input', { messageId: 'must be an id' }));
    const m = messages.get(messageId);
    if (!m) return reply(err('not_found', 'no such message'));
    if (m.to !== me) return reply(err('forbidden', 'not your message'));
    const c = conversations.get(m.conversationId);
    const readAt = new Date().toISOString();
    const unread = c.unread.get(me);
    if (unread) {
      while (unread.head < unread.ids.length && unread.ids[unread.head] <= messageId) {
        const x = messages.get(unread.ids[unread.head]);
        if (x && !x.read) { x.read = true; x.readAt = readAt; }
        unread.head++;
      }
      if (unread.head > 5000) { unread.ids = unread.ids.slice(unread.head); unread.head = 0; }
    }
    reply({ ok: true });
    emitToUser(m.from, 'message-read-confirm', { messageId, conversationId: m.conversationId, readAt });
  });

  socket.on('typing', (payload, ack) => {
    const reply = typeof ack === 'function' ? ack : () => {};
    const to = payload && payload.to;
    if (typeof to !== 'string' || !ID_RE.test(to)) return reply(err('validation', 'invalid input', { to: 'must be an id' }));
    if (!users.has(to)) return reply(err('not_found', 'no such user'));
    const active = payload.active === undefined ? true : !!payload.active;
    emitToUser(to, 'typing', { from: me, active });
    reply({ ok: true });
  });

  socket.on('presence-subscribe', (payload, ack) => {
    const reply = typeof ack === 'function' ? ack : () => {};
    const ids = payload && payload.userIds;
    if (!Array.isArray(ids) || ids.length > 500 || !ids.every((x) => typeof x === 'string' && ID_RE.test(x))) {
      return reply(err('validation', 'invalid input', { userIds: 'must be a list of ids' }));
    }
    const out = [];
    for (const id of ids) {
      const u = users.get(id);
      if (!u) continue;
      let subs = subscribers.get(id);
      if (!subs) { subs = new Set(); subscribers.set(id, subs); }
      subs.add(socket);
      (socket.data.subscribed ||= []).push(id);
      out.push({ userId: id, status: socketsByUser.has(id) ? 'online' : 'offline', lastSeen: u.lastSeen });
    }
    reply({ ok: true, users: out });
  });

  socket.on('disconnect', () => {
    for (const id of socket.data.subscribed || []) {
      const subs = subscribers.get(id);
      if (subs) { subs.delete(socket); if (!subs.size) subscribers.delete(id); }
    }
    const s = socketsByUser.get(me);
    if (!s) return;
    s.delete(socket);
    if (s.size) return;
    socketsByUser.delete(me);
    user.lastSeen = new Date().toISOString();
    const payload = { userId: me, lastSeen: user.lastSeen };
    const told = new Set();
    const subs = subscribers.get(me);
    if (subs) for (const x of subs) { told.add(x); x.emit('user-offline', payload); }
    const ps2 = partners.get(me);
    if (ps2) for (const p of ps2) {
      const ss = socketsByUser.get(p);
      if (ss) for (const x of ss) if (!told.has(x)) x.emit('user-offline', payload);
    }
  });
});

httpServer.listen(PORT, HOST, () => {
  console.log(`baseline socket.io ${require('socket.io/package.json').version} on http://${HOST}:${PORT} (node ${process.version}, pid ${process.pid})`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
