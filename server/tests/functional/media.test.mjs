// Uploads, media, image messages and profile pictures through the real binary.
// Every image is made here (images.mjs): nothing binary is checked in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import {
  startServer,
  signup,
  expectError,
  rawRequest,
  connectSocket,
  emitWithAck,
  waitFor,
  closeAll,
  sleep,
  stopClean,
} from './harness.mjs';
import {
  png,
  padPng,
  pngClaiming,
  jpeg,
  withExif,
  withComment,
  EXIF_SECRET,
  animatedGif,
  imageInfo,
  jpegSegments,
} from './images.mjs';

const MB = 1024 * 1024;
const PUBLIC_ID = /^[0-9a-f]{32}$/;

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await stopClean(server);
});

// --- helpers

let boundaryCounter = 0;
function multipart(parts) {
  boundaryCounter += 1;
  const boundary = `----samwaadTest${process.pid}x${boundaryCounter}`;
  const chunks = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType) head += `Content-Type: ${part.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(part.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function upload(srv, token, data, { filename = 'photo.jpg', contentType = 'image/jpeg', field = 'file' } = {}) {
  const form = multipart([{ name: field, filename, contentType, data }]);
  return srv.api('POST', '/api/v1/uploads/image', {
    token,
    raw: form.body,
    headers: { 'content-type': form.contentType },
  });
}

async function uploadOk(srv, token, data, opts) {
  const res = await upload(srv, token, data, opts);
  assert.equal(res.status, 201, res.text);
  return res.json;
}

async function fetchMedia(srv, url, headers = {}) {
  const res = await fetch(srv.base + url, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

function checkUploadResult(image) {
  assert.deepEqual(Object.keys(image).sort(), ['bytes', 'format', 'height', 'public_id', 'thumbnailUrl', 'url', 'width']);
  assert.match(image.public_id, PUBLIC_ID);
  assert.equal(image.url, `/media/${image.public_id}.${image.format}`);
  assert.equal(image.thumbnailUrl, `/media/${image.public_id}_thumb.${image.format}`);
  assert.ok(Number.isInteger(image.width) && image.width > 0);
  assert.ok(Number.isInteger(image.height) && image.height > 0);
  assert.ok(Number.isInteger(image.bytes) && image.bytes > 0);
}

// Red left half, blue right half: a rotation moves them.
const halves = (width) => (x) => (x < width / 2 ? [220, 20, 20] : [20, 20, 220]);

function vmRssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
}

// Streams `total` bytes of body with chunked encoding (no Content-Length
// unless given), starting with `head`, until the server answers.
function streamUpload(srv, token, { head, total, contentType, contentLength }) {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': contentType };
    if (contentLength !== undefined) headers['content-length'] = String(contentLength);
    const req = http.request(`${srv.base}/api/v1/uploads/image`, { method: 'POST', headers });
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode, json: text ? JSON.parse(text) : undefined, sent });
      });
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (contentLength !== undefined && !head) return req.flushHeaders();
    const chunk = Buffer.alloc(256 * 1024, 0x41);
    const pump = () => {
      if (sent === 0 && head) {
        sent += head.length;
        if (!req.write(head)) return req.once('drain', pump);
      }
      while (sent < total && !answered) {
        sent += chunk.length;
        if (!req.write(chunk)) return req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

// Like a browser under a large upload: goes on sending the body after the
// answer came, until the server closes, over a raw socket (Node's HTTP client
// stops at the answer). Samples the server's VmRSS all along.
function uploadRegardless(srv, token, { head, total, pid }) {
  return new Promise((resolve) => {
    const socket = net.connect({ port: srv.port, host: '127.0.0.1', allowHalfOpen: true });
    let received = '';
    let sent = 0;
    let closed = false;
    let peakRssKb = 0;
    const sample = setInterval(() => (peakRssKb = Math.max(peakRssKb, vmRssKb(pid))), 5);
    const chunk = Buffer.concat([Buffer.from(`${(256 * 1024).toString(16)}\r\n`), Buffer.alloc(256 * 1024, 0x41), Buffer.from('\r\n')]);
    const pump = () => {
      while (!closed && sent < total) {
        sent += 256 * 1024;
        if (!socket.write(chunk)) return socket.once('drain', pump);
      }
    };
    socket.on('data', (d) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      clearInterval(sample);
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(received)?.[1]), sent, peakRssKb });
    });
    socket.on('connect', () => {
      socket.write(
        `POST /api/v1/uploads/image HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: multipart/form-data; boundary=abc\r\nTransfer-Encoding: chunked\r\n\r\n' +
          `${head.length.toString(16)}\r\n`,
      );
      socket.write(Buffer.concat([head, Buffer.from('\r\n')]));
      pump();
    });
  });
}

// --- uploads

test('a JPEG loses its EXIF, GPS and comments, and is turned as its orientation says', async () => {
  const { token } = await signup(server);
  const original = withComment(withExif(jpeg(64, 48, { pixel: halves(64) }), 6), 'SAMWAAD-SECRET-COMMENT');
  assert.ok(original.includes(EXIF_SECRET));
  const image = await uploadOk(server, token, original);
  checkUploadResult(image);
  assert.equal(image.format, 'jpg');
  // Orientation 6: the stored image is the upright one, 48 wide and 64 high.
  assert.equal(image.width, 48);
  assert.equal(image.height, 64);

  const full = await fetchMedia(server, image.url);
  assert.equal(full.status, 200);
  assert.equal(full.body.length, image.bytes);
  assert.deepEqual(imageInfo(full.body), { format: 'jpg', width: 48, height: 64, frames: 1 });
  for (const bytes of [full.body, (await fetchMedia(server, image.thumbnailUrl)).body]) {
    assert.equal(bytes.includes('Exif'), false, 'no EXIF block');
    assert.equal(bytes.includes(EXIF_SECRET), false);
    assert.equal(bytes.includes('SAMWAAD-SECRET'), false);
    const markers = jpegSegments(bytes);
    assert.equal(markers.includes(0xe1), false, 'no APP1 segment');
    assert.equal(markers.includes(0xfe), false, 'no COM segment');
  }
});

test('the stored size is what was stored; thumbnails have a longest side of 320', async () => {
  const { token } = await signup(server);
  const image = await uploadOk(server, token, jpeg(1000, 400, { pixel: halves(1000) }), { filename: 'wide.jpeg' });
  assert.equal(image.width, 1000);
  assert.equal(image.height, 400);
  const thumb = await fetchMedia(server, image.thumbnailUrl);
  assert.deepEqual(imageInfo(thumb.body), { format: 'jpg', width: 320, height: 128, frames: 1 });

  const tall = await uploadOk(server, token, png(200, 800, { alpha: true, text: 'SAMWAAD-SECRET-TEXT' }), {
    filename: 'tall.png',
    contentType: 'image/png',
  });
  assert.equal(tall.format, 'png');
  const tallFull = await fetchMedia(server, tall.url);
  assert.equal(tallFull.body.includes('SAMWAAD-SECRET'), false);
  assert.equal(tallFull.body.includes('tEXt'), false);
  assert.deepEqual(imageInfo((await fetchMedia(server, tall.thumbnailUrl)).body), {
    format: 'png',
    width: 80,
    height: 320,
    frames: 1,
  });
});

test('an animated GIF keeps its frames, thumbnail included', async () => {
  const { token } = await signup(server);
  const gif = animatedGif(400, 200, [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
  ]);
  assert.equal(imageInfo(gif).frames, 3);
  const image = await uploadOk(server, token, gif, { filename: 'fun.gif', contentType: 'image/gif' });
  assert.equal(image.format, 'gif');
  assert.equal(image.width, 400);
  assert.equal(image.height, 200);
  const full = imageInfo((await fetchMedia(server, image.url)).body);
  assert.equal(full.frames, 3);
  const thumb = imageInfo((await fetchMedia(server, image.thumbnailUrl)).body);
  assert.equal(thumb.frames, 3);
  assert.equal(thumb.width, 320);
  assert.equal(thumb.height, 160);
});

test('a browser-style FormData upload works', async () => {
  const { token } = await signup(server);
  const form = new FormData();
  form.append('file', new Blob([png(30, 20)], { type: 'image/png' }), 'pasted image.png');
  const res = await fetch(`${server.base}/api/v1/uploads/image`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  assert.equal(res.status, 201);
  const image = await res.json();
  checkUploadResult(image);
  assert.equal(image.width, 30);
});

test('the type comes from the bytes: text, HTML and SVG named as images are 415', async () => {
  const { token } = await signup(server);
  const cases = [
    ['notes.png', 'image/png', 'just some text in a file called notes.png\n'],
    ['cat.jpg', 'image/jpeg', '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>'],
    ['logo.png', 'image/png', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="5"/></svg>'],
    ['logo.svg', 'image/svg+xml', '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'],
  ];
  for (const [filename, contentType, data] of cases) {
    const res = await upload(server, token, data, { filename, contentType });
    expectError(res, 415, 'unsupported_media_type');
  }
});

test('a truncated JPEG is a 400 on fields.file', async () => {
  const { token } = await signup(server);
  const whole = jpeg(256, 256, { pixel: (x, y) => [(x * 7) % 256, (y * 13) % 256, ((x + y) * 5) % 256] });
  const res = await upload(server, token, whole.subarray(0, Math.floor(whole.length * 0.6)));
  expectError(res, 400, 'validation', 'file');
});

test('a decompression bomb is refused from its header, at once', async () => {
  const { token } = await signup(server);
  const bomb = pngClaiming(100000, 100000);
  assert.ok(bomb.length < 100);
  const rssBefore = vmRssKb(server.child.pid);
  const started = Date.now();
  const res = await upload(server, token, bomb, { filename: 'tiny.png', contentType: 'image/png' });
  const ms = Date.now() - started;
  expectError(res, 413, 'payload_too_large');
  assert.ok(ms < 3000, `took ${ms} ms`);
  assert.ok(vmRssKb(server.child.pid) - rssBefore < 64 * 1024, 'no 30 GB allocation, not even a partial one');
  assert.equal((await server.api('GET', '/healthz')).status, 200);
});

test('malformed multipart: no boundary, an unterminated part, two files, unknown fields, JSON', async () => {
  const { token } = await signup(server);
  const send = (body, contentType) =>
    server.api('POST', '/api/v1/uploads/image', { token, raw: body, headers: { 'content-type': contentType } });

  expectError(await send('whatever', 'multipart/form-data'), 400, 'validation');
  const unterminated = '--abc\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n' + 'x'.repeat(100);
  expectError(await send(unterminated, 'multipart/form-data; boundary=abc'), 400, 'validation');
  const noParts = await send('--abc--\r\n', 'multipart/form-data; boundary=abc');
  expectError(noParts, 400, 'validation', 'file');

  const two = multipart([
    { name: 'file', filename: 'a.png', contentType: 'image/png', data: png(4, 4) },
    { name: 'file', filename: 'b.png', contentType: 'image/png', data: png(4, 4) },
  ]);
  expectError(await send(two.body, two.contentType), 400, 'validation', 'file');
  const other = multipart([
    { name: 'file', filename: 'a.png', contentType: 'image/png', data: png(4, 4) },
    { name: 'extra', filename: 'b.png', contentType: 'image/png', data: png(4, 4) },
  ]);
  expectError(await send(other.body, other.contentType), 400, 'validation', 'file');
  const unknown = multipart([
    { name: 'caption', data: 'hello' },
    { name: 'file', filename: 'a.png', contentType: 'image/png', data: png(4, 4) },
  ]);
  expectError(await send(unknown.body, unknown.contentType), 400, 'validation', 'caption');

  expectError(await server.api('POST', '/api/v1/uploads/image', { token, body: { file: 'x' } }), 415, 'unsupported_media_type');
  // The server is fine afterwards.
  await uploadOk(server, token, png(4, 4), { contentType: 'image/png', filename: 'ok.png' });
});

test('uploads need a token, checked before the body is read', async () => {
  const form = multipart([{ name: 'file', filename: 'a.png', data: png(4, 4) }]);
  const res = await server.api('POST', '/api/v1/uploads/image', {
    raw: form.body,
    headers: { 'content-type': form.contentType },
  });
  expectError(res, 401, 'unauthorized');
  // Only the head is sent: the 401 comes without waiting for a body.
  const raw = await rawRequest(server.port, [
    'POST /api/v1/uploads/image HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=abc\r\nContent-Length: 1000000\r\n\r\n',
  ], { timeoutMs: 5000 });
  assert.match(raw.data, /^HTTP\/1\.1 401/);
  assert.equal(raw.closedBy, 'server');
});

test('concurrent uploads are each stored whole and separately', async () => {
  const users = [await signup(server), await signup(server)];
  const sizes = Array.from({ length: 8 }, (_, i) => [100 + 10 * i, 60 + 5 * i]);
  const results = await Promise.all(
    sizes.map(([w, h], i) =>
      uploadOk(server, users[i % 2].token, i % 2 ? png(w, h) : jpeg(w, h, { pixel: halves(w) }), {
        contentType: i % 2 ? 'image/png' : 'image/jpeg',
      }),
    ),
  );
  assert.equal(new Set(results.map((r) => r.public_id)).size, sizes.length);
  for (const [i, image] of results.entries()) {
    assert.equal(image.width, sizes[i][0]);
    assert.equal(image.height, sizes[i][1]);
    const info = imageInfo((await fetchMedia(server, image.url)).body);
    assert.equal(info.width, sizes[i][0]);
    assert.equal(info.height, sizes[i][1]);
  }
});

// --- serving media

test('media are served with the contract headers, ETag and ranges', async () => {
  const { token } = await signup(server);
  const image = await uploadOk(server, token, jpeg(300, 200, { pixel: halves(300) }));
  const full = await fetchMedia(server, image.url);
  assert.equal(full.status, 200);
  assert.equal(full.headers.get('content-type'), 'image/jpeg');
  assert.equal(full.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(full.headers.get('content-security-policy'), "default-src 'none'");
  assert.match(full.headers.get('cache-control'), /max-age=31536000/);
  assert.match(full.headers.get('cache-control'), /immutable/);
  assert.equal(full.headers.get('accept-ranges'), 'bytes');
  const etag = full.headers.get('etag');
  assert.match(etag, /^"[^"]+"$/);

  const cached = await fetchMedia(server, image.url, { 'if-none-match': etag });
  assert.equal(cached.status, 304);
  assert.equal(cached.body.length, 0);

  const first = await fetchMedia(server, image.url, { range: 'bytes=0-9' });
  assert.equal(first.status, 206);
  assert.equal(first.headers.get('content-range'), `bytes 0-9/${full.body.length}`);
  assert.deepEqual(first.body, full.body.subarray(0, 10));
  const tail = await fetchMedia(server, image.url, { range: 'bytes=-7' });
  assert.equal(tail.status, 206);
  assert.deepEqual(tail.body, full.body.subarray(full.body.length - 7));
  const open = await fetchMedia(server, image.url, { range: `bytes=${full.body.length - 3}-` });
  assert.deepEqual(open.body, full.body.subarray(full.body.length - 3));
  const past = await fetchMedia(server, image.url, { range: `bytes=${full.body.length}-` });
  assert.equal(past.status, 416);
  assert.equal(past.headers.get('content-range'), `bytes */${full.body.length}`);
  const stale = await fetchMedia(server, image.url, { range: 'bytes=0-9', 'if-range': '"something-else"' });
  assert.equal(stale.status, 200);
  assert.equal(stale.body.length, full.body.length);

  const head = await fetch(server.base + image.url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers.get('content-length')), full.body.length);
  assert.equal((await head.arrayBuffer()).byteLength, 0);
});

test('anything else under /media is a 404, whatever the URL says', async () => {
  const { token } = await signup(server);
  const image = await uploadOk(server, token, png(10, 10), { contentType: 'image/png', filename: 'a.png' });
  const fake = '0123456789abcdef0123456789abcdef';
  const paths = [
    `/media/${fake}.png`,
    `/media/${image.public_id}.jpg`,
    `/media/${image.public_id}`,
    `/media/${image.public_id.toUpperCase()}.png`,
    `/media/${image.public_id}.png/`,
    `/media/x/${image.public_id}.png`,
    '/media/',
    '/media',
    '/media/jwt_secret',
    '/media/tmp',
    '/media/..%2Fjwt_secret',
    '/media/%2e%2e%2f%2e%2e%2fsamwaad.db',
    '/media/..%252Fjwt_secret',
    `/media/${image.public_id.slice(0, 2)}`,
    `/media/${image.public_id.slice(0, 2)}/${image.public_id}.png`,
  ];
  for (const path of paths) {
    const res = await fetch(server.base + path);
    const body = await res.text();
    assert.equal(res.status, 404, `${path}: ${res.status} ${body.slice(0, 100)}`);
    assert.doesNotMatch(body, /Samwaad<\/title>/, `${path} fell through to the web client`);
  }
  // Raw paths that fetch would normalise.
  for (const path of ['/media/../jwt_secret', '/media/../../etc/passwd', '/media/./../samwaad.db']) {
    const raw = await rawRequest(server.port, [`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
    assert.match(raw.data, /^HTTP\/1\.1 404/, `${path}: ${raw.data.slice(0, 200)}`);
    assert.doesNotMatch(raw.data, /-----|SQLite format|root:/);
  }
  const post = await fetch(server.base + image.url, { method: 'POST' });
  assert.equal(post.status, 405);
});

// --- image messages

test('an image message carries the stored metadata; someone else’s image is refused', async () => {
  const A = await signup(server, { name: 'Asha Sender' });
  const B = await signup(server, { name: 'Bilal Receiver' });
  const image = await uploadOk(server, A.token, jpeg(120, 80, { pixel: halves(120) }));

  const doctored = { ...image, width: 1, url: 'https://evil.example/x.jpg' };
  const sent = await server.api('POST', '/api/v1/messages', {
    token: A.token,
    body: { to: B.user.id, image: doctored, text: 'look', clientId: 'img-1' },
  });
  assert.equal(sent.status, 201, sent.text);
  assert.deepEqual(sent.json.message.image, image);
  assert.equal(sent.json.message.text, 'look');

  const stolen = await server.api('POST', '/api/v1/messages', { token: B.token, body: { to: A.user.id, image } });
  expectError(stolen, 400, 'validation', 'image');
  const invented = await server.api('POST', '/api/v1/messages', {
    token: A.token,
    body: { to: B.user.id, image: { ...image, public_id: 'f'.repeat(32) } },
  });
  expectError(invented, 400, 'validation', 'image');
  const noId = await server.api('POST', '/api/v1/messages', { token: A.token, body: { to: B.user.id, image: { url: image.url } } });
  expectError(noId, 400, 'validation', 'image');

  const page = await server.api('GET', `/api/v1/messages/${sent.json.message.conversationId}`, { token: B.token });
  assert.deepEqual(page.json.messages.at(-1).image, image);
});

test('realtime send-message with an image reaches the recipient with its metadata', async () => {
  const A = await signup(server, { name: 'Realtime Asha' });
  const B = await signup(server, { name: 'Realtime Bilal' });
  const image = await uploadOk(server, A.token, png(50, 40), { contentType: 'image/png', filename: 'p.png' });
  const a = await connectSocket(server.base, { token: A.token });
  const b = await connectSocket(server.base, { token: B.token });
  try {
    const received = waitFor(b, 'message-received');
    const ack = await emitWithAck(a, 'send-message', { to: B.user.id, image });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    assert.deepEqual(ack.message.image, image);
    assert.equal(ack.message.text, null);
    assert.deepEqual((await received).message.image, image);

    const refused = await emitWithAck(b, 'send-message', { to: A.user.id, image });
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, 'validation');
    assert.equal(typeof refused.error.fields.image, 'string');
  } finally {
    closeAll(a, b);
  }
});

// --- profile pictures

test('a profile picture: set with name and bio, shown to others, replaced, removed', async () => {
  const A = await signup(server, { name: 'Avatar Owner' });
  const B = await signup(server, { name: 'Avatar Viewer' });
  const patch = (parts) => {
    const form = multipart(parts);
    return server.api('PATCH', '/api/v1/users/me/profile', {
      token: A.token,
      raw: form.body,
      headers: { 'content-type': form.contentType },
    });
  };
  const first = await patch([
    { name: 'name', data: 'Avatar Owner Two' },
    { name: 'bio', data: 'I have a face now' },
    { name: 'avatar', filename: 'me.jpg', contentType: 'image/jpeg', data: withExif(jpeg(400, 300), 1) },
  ]);
  assert.equal(first.status, 200, first.text);
  const user = first.json.user;
  assert.equal(user.name, 'Avatar Owner Two');
  assert.equal(user.bio, 'I have a face now');
  checkUploadResult(user.avatar);
  assert.equal(user.avatar.width, 400);
  assert.equal((await fetchMedia(server, user.avatar.url)).body.includes(EXIF_SECRET), false);
  const seen = await server.api('GET', `/api/v1/users/${A.user.id}`, { token: B.token });
  assert.deepEqual(seen.json.user.avatar, user.avatar);

  // An avatar is not a chat upload: it cannot be sent as a message image.
  const asMessage = await server.api('POST', '/api/v1/messages', { token: A.token, body: { to: B.user.id, image: user.avatar } });
  expectError(asMessage, 400, 'validation', 'image');

  const second = await patch([{ name: 'avatar', filename: 'new.png', contentType: 'image/png', data: png(64, 64, { alpha: true }) }]);
  assert.equal(second.status, 200, second.text);
  assert.equal(second.json.user.avatar.format, 'png');
  assert.equal(second.json.user.name, 'Avatar Owner Two');
  assert.equal((await fetchMedia(server, user.avatar.url)).status, 404, 'the old picture is gone');
  assert.equal((await fetchMedia(server, user.avatar.thumbnailUrl)).status, 404);
  assert.equal((await fetchMedia(server, second.json.user.avatar.thumbnailUrl)).status, 200);

  const bad = await patch([{ name: 'avatar', filename: 'x.png', contentType: 'image/png', data: 'not an image' }]);
  expectError(bad, 415, 'unsupported_media_type');
  const badName = await patch([
    { name: 'name', data: 'x' },
    { name: 'avatar', filename: 'a.png', contentType: 'image/png', data: png(8, 8) },
  ]);
  expectError(badName, 400, 'validation', 'name');
  const me = await server.api('GET', '/api/v1/users/me', { token: A.token });
  assert.deepEqual(me.json.user.avatar, second.json.user.avatar, 'refused changes change nothing');

  // JSON still works on the same route.
  const json = await server.api('PATCH', '/api/v1/users/me/profile', { token: A.token, body: { bio: 'json bio' } });
  assert.equal(json.status, 200);
  assert.deepEqual(json.json.user.avatar, second.json.user.avatar);

  const removed = await server.api('DELETE', '/api/v1/users/me/avatar', { token: A.token });
  assert.equal(removed.status, 200);
  assert.equal(removed.json.user.avatar, null);
  assert.equal((await fetchMedia(server, second.json.user.avatar.url)).status, 404);
});

test('user-online carries the avatar', async () => {
  const A = await signup(server, { name: 'Online Face' });
  const B = await signup(server, { name: 'Online Watcher' });
  const form = multipart([{ name: 'avatar', filename: 'me.png', contentType: 'image/png', data: png(32, 32) }]);
  const set = await server.api('PATCH', '/api/v1/users/me/profile', {
    token: A.token,
    raw: form.body,
    headers: { 'content-type': form.contentType },
  });
  assert.equal(set.status, 200, set.text);
  const b = await connectSocket(server.base, { token: B.token });
  let a;
  try {
    const sub = await emitWithAck(b, 'presence-subscribe', { userIds: [A.user.id] });
    assert.equal(sub.ok, true);
    const online = waitFor(b, 'user-online', 5000, { filter: (p) => p.userId === A.user.id });
    a = await connectSocket(server.base, { token: A.token });
    const payload = await online;
    assert.equal(payload.name, 'Online Face');
    assert.deepEqual(payload.avatar, set.json.user.avatar);
  } finally {
    closeAll(a, b);
  }
});

// --- limits (a server of its own with a small limit)

test('exactly the limit is accepted, one byte more is 413, framing not counted', async () => {
  const small = await startServer({ MAX_CHAT_IMAGE_MB: '0.25' });
  try {
    const limit = 0.25 * MB;
    const { token } = await signup(small);
    const exact = padPng(png(16, 16), limit);
    const ok = await upload(small, token, exact, { contentType: 'image/png', filename: 'exact.png' });
    assert.equal(ok.status, 201, ok.text);
    const over = await upload(small, token, padPng(png(16, 16), limit + 1), { contentType: 'image/png' });
    expectError(over, 413, 'payload_too_large');
  } finally {
    await stopClean(small);
  }
});

test('a Content-Length past the limit is refused before the body is read', async () => {
  const small = await startServer({ MAX_CHAT_IMAGE_MB: '0.25' });
  try {
    const { token } = await signup(small);
    const res = await streamUpload(small, token, {
      contentType: 'multipart/form-data; boundary=abc',
      contentLength: 1024 * MB,
      total: 0,
    });
    assert.equal(res.status, 413);
    assert.equal(res.json.error.code, 'payload_too_large');
    assert.equal(res.sent, 0, 'no body byte was needed');
  } finally {
    await stopClean(small);
  }
});

test('a chunked upload (no Content-Length) that grows too large gets a readable 413', async () => {
  const small = await startServer({ MAX_CHAT_IMAGE_MB: '0.25' });
  try {
    const { token } = await signup(small);
    const head = Buffer.from(
      '--abc\r\nContent-Disposition: form-data; name="file"; filename="huge.png"\r\nContent-Type: image/png\r\n\r\n',
    );
    const res = await streamUpload(small, token, {
      head,
      total: 64 * MB,
      contentType: 'multipart/form-data; boundary=abc',
    });
    assert.equal(res.status, 413);
    assert.equal(res.json.error.code, 'payload_too_large');
    assert.ok(res.sent < 64 * MB, `refused while streaming, after ${res.sent} bytes`);
    // Multipart framing past limit + 64 KiB is refused too (a form of many fields).
    const fields = Buffer.from(`--abc\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n`);
    const raw = await rawRequest(small.port, [
      `POST /api/v1/uploads/image HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        'Content-Type: multipart/form-data; boundary=abc\r\nTransfer-Encoding: chunked\r\n\r\n',
      `${fields.length.toString(16)}\r\n${fields.toString('latin1')}\r\n`,
      ...Array.from({ length: 40 }, () => `8000\r\n${'b'.repeat(0x8000)}\r\n`),
    ]);
    assert.match(raw.data, /^HTTP\/1\.1 413/);
  } finally {
    await stopClean(small);
  }
});

test('the server’s memory stays bounded during a large upload', async (t) => {
  const { token } = await signup(server);
  const pid = server.child.pid;
  const before = vmRssKb(pid);
  const head = Buffer.from('--abc\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n\r\n');
  const res = await uploadRegardless(server, token, { head, total: 200 * MB, pid });
  assert.equal(res.status, 413);
  assert.ok(res.sent > 20 * MB, `only ${res.sent} bytes went out`);
  const growthMb = (res.peakRssKb - before) / 1024;
  t.diagnostic(`VmRSS before ${Math.round(before / 1024)} MB, peak ${Math.round(res.peakRssKb / 1024)} MB ` +
    `(+${growthMb.toFixed(1)} MB) while streaming ${Math.round(res.sent / MB)} MB against a 5 MB limit`);
  assert.ok(growthMb < 48, `VmRSS grew by ${growthMb.toFixed(1)} MB`);

  // A real image close to the limit: the body, the decoded pixels, no more.
  const near = png(1240, 1330, { random: true }); // ~4.7 MiB, incompressible
  assert.ok(near.length > 4.5 * MB && near.length < 5 * MB, `${near.length}`);
  const rssBefore = vmRssKb(pid);
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, vmRssKb(pid))), 5);
  const started = Date.now();
  const image = await uploadOk(server, token, near, { contentType: 'image/png', filename: 'near.png' });
  clearInterval(sampler);
  t.diagnostic(`${(near.length / MB).toFixed(1)} MiB PNG upload: ${Date.now() - started} ms, VmRSS +${((peak - rssBefore) / 1024).toFixed(1)} MB`);
  assert.equal(image.width, 1240);
  assert.ok((peak - rssBefore) / 1024 < 96, `VmRSS grew by ${((peak - rssBefore) / 1024).toFixed(1)} MB`);
});

test('a 12-megapixel JPEG is processed in reasonable time', async (t) => {
  const { token } = await signup(server);
  const big = withExif(jpeg(4000, 3000, { pixel: (x, y) => [(x / 16) % 256, (y / 12) % 256, ((x + y) / 28) % 256] }), 6);
  const started = Date.now();
  const image = await uploadOk(server, token, big);
  const ms = Date.now() - started;
  t.diagnostic(`12 MP JPEG (${(big.length / MB).toFixed(1)} MB, orientation 6): ${ms} ms, stored ${image.width}x${image.height}, ${(image.bytes / MB).toFixed(2)} MB`);
  assert.equal(image.width, 3000);
  assert.equal(image.height, 4000);
  assert.ok(ms < 30000, `${ms} ms`);
});

// --- the sweep of unused uploads, and the per-user rate limit

test('uploads nothing used are removed after UNUSED_UPLOAD_TTL; used ones stay', async () => {
  const quick = await startServer({ UNUSED_UPLOAD_TTL: '3s' });
  try {
    const A = await signup(quick);
    const B = await signup(quick);
    // Each step right after the one before: well within the 3 s.
    const used = await uploadOk(quick, A.token, png(9, 9), { contentType: 'image/png' });
    const sent = await quick.api('POST', '/api/v1/messages', { token: A.token, body: { to: B.user.id, image: used } });
    assert.equal(sent.status, 201, sent.text);
    const unused = await uploadOk(quick, A.token, png(8, 8), { contentType: 'image/png' });
    assert.equal((await fetchMedia(quick, unused.url)).status, 200);
    const form = multipart([{ name: 'avatar', filename: 'a.png', contentType: 'image/png', data: png(10, 10) }]);
    const profile = await quick.api('PATCH', '/api/v1/users/me/profile', {
      token: A.token,
      raw: form.body,
      headers: { 'content-type': form.contentType },
    });
    assert.equal(profile.status, 200);

    const deadline = Date.now() + 10000;
    while ((await fetchMedia(quick, unused.url)).status === 200 && Date.now() < deadline) await sleep(200);
    assert.equal((await fetchMedia(quick, unused.url)).status, 404);
    assert.equal((await fetchMedia(quick, unused.thumbnailUrl)).status, 404);
    const late = await quick.api('POST', '/api/v1/messages', { token: A.token, body: { to: B.user.id, image: unused } });
    expectError(late, 400, 'validation', 'image');
    assert.equal((await fetchMedia(quick, used.url)).status, 200);
    assert.equal((await fetchMedia(quick, profile.json.user.avatar.url)).status, 200);
  } finally {
    await stopClean(quick);
  }
});

test('uploads are rate limited per user', async () => {
  const limited = await startServer({ RATE_LIMITS: 'on' });
  try {
    const A = await signup(limited);
    const B = await signup(limited);
    const tiny = png(2, 2);
    let refused;
    for (let i = 0; i < 40 && !refused; i++) {
      const res = await upload(limited, A.token, tiny, { contentType: 'image/png' });
      if (res.status === 429) refused = { res, after: i };
      else assert.equal(res.status, 201, res.text);
    }
    assert.ok(refused, 'no 429 within 40 uploads');
    assert.equal(refused.after, 30);
    expectError(refused.res, 429, 'rate_limited');
    assert.ok(Number(refused.res.headers.get('retry-after')) >= 1);
    // Another user's budget is their own.
    assert.equal((await upload(limited, B.token, tiny, { contentType: 'image/png' })).status, 201);
  } finally {
    await stopClean(limited);
  }
});
