// Images made by the tests themselves, in plain Node (no binary fixtures, no
// image library): a PNG writer, a baseline JPEG encoder whose 8x8 blocks are
// each one flat colour (exact after decoding, and enough to see a rotation),
// an animated GIF writer, an EXIF block with a GPS position, and a PNG whose
// header claims 100,000 x 100,000 pixels. Plus a reader of the dimensions a
// JPEG, PNG or GIF declares, to check what the server stores.
import zlib from 'node:zlib';

const crc32 = (buf) => zlib.crc32(buf) >>> 0;

function u32be(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
function u16be(n) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

// --- PNG

function pngChunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32be(data.length), body, u32be(crc32(body))]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// `pixel(x, y)` returns [r, g, b] or [r, g, b, a]; `alpha` picks RGBA.
// `text` adds a tEXt Comment chunk; `random` fills with noise (incompressible).
export function png(width, height, { pixel = () => [20, 160, 60], alpha = false, text, random = false } = {}) {
  const channels = alpha ? 4 : 3;
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * channels);
    if (random) {
      for (let i = 1; i < row.length; i++) row[i] = (Math.random() * 256) | 0;
    } else {
      for (let x = 0; x < width; x++) {
        const p = pixel(x, y);
        for (let c = 0; c < channels; c++) row[1 + x * channels + c] = p[c] ?? 255;
      }
    }
    rows.push(row);
  }
  const ihdr = Buffer.concat([u32be(width), u32be(height), Buffer.from([8, alpha ? 6 : 2, 0, 0, 0])]);
  const chunks = [PNG_SIGNATURE, pngChunk('IHDR', ihdr)];
  if (text !== undefined) chunks.push(pngChunk('tEXt', Buffer.from(`Comment\0${text}`, 'latin1')));
  chunks.push(pngChunk('IDAT', zlib.deflateSync(Buffer.concat(rows), { level: random ? 0 : 6 })));
  chunks.push(pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(chunks);
}

// The same PNG grown to exactly `size` bytes with a private ancillary chunk,
// which decoders skip.
export function padPng(buf, size) {
  const overhead = 12;
  const missing = size - buf.length - overhead;
  if (missing < 0) throw new Error(`PNG of ${buf.length} bytes cannot be padded to ${size}`);
  const iend = buf.length - 12;
  const padded = Buffer.concat([buf.subarray(0, iend), pngChunk('saMw', Buffer.alloc(missing, 0x61)), buf.subarray(iend)]);
  if (padded.length !== size) throw new Error('padding went wrong');
  return padded;
}

// A few dozen bytes that claim width x height 8-bit RGB pixels.
export function pngClaiming(width, height) {
  const ihdr = Buffer.concat([u32be(width), u32be(height), Buffer.from([8, 2, 0, 0, 0])]);
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(16))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// --- JPEG (baseline, 4:4:4, every 8x8 block one colour: DC coefficients only)

const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_VALUES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const AC_BITS = [0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // two 2-bit codes
const AC_VALUES = [0x00, 0x01]; // end-of-block is all we ever write

// Canonical Huffman codes from a DHT's bit counts.
function huffmanCodes(bits, values) {
  const codes = new Map();
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < bits[length - 1]; i++) codes.set(values[k++], { code: code++, length });
    code <<= 1;
  }
  return codes;
}

class BitWriter {
  constructor() {
    this.bytes = [];
    this.acc = 0;
    this.count = 0;
  }
  write(value, length) {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.count === 8) this.flushByte();
    }
  }
  flushByte() {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0x00); // byte stuffing
    this.acc = 0;
    this.count = 0;
  }
  finish() {
    while (this.count !== 0) this.write(1, 1);
    return Buffer.from(this.bytes);
  }
}

function segment(marker, data) {
  return Buffer.concat([Buffer.from([0xff, marker]), u16be(data.length + 2), data]);
}

// `pixel(x, y)` gives [r, g, b]; each 8x8 block takes the colour of its
// top-left pixel.
export function jpeg(width, height, { pixel = () => [200, 30, 30] } = {}) {
  const dc = huffmanCodes(DC_BITS, DC_VALUES);
  const ac = huffmanCodes(AC_BITS, AC_VALUES);
  const out = [Buffer.from([0xff, 0xd8])];
  out.push(segment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0])));
  out.push(segment(0xdb, Buffer.concat([Buffer.from([0]), Buffer.alloc(64, 1)]))); // all ones: lossless DC
  out.push(
    segment(
      0xc0,
      Buffer.concat([Buffer.from([8]), u16be(height), u16be(width), Buffer.from([3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0])]),
    ),
  );
  out.push(segment(0xc4, Buffer.concat([Buffer.from([0x00]), Buffer.from(DC_BITS), Buffer.from(DC_VALUES)])));
  out.push(segment(0xc4, Buffer.concat([Buffer.from([0x10]), Buffer.from(AC_BITS), Buffer.from(AC_VALUES)])));
  out.push(segment(0xda, Buffer.from([3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0])));
  const bits = new BitWriter();
  const previous = [0, 0, 0];
  const blocksX = Math.ceil(width / 8);
  const blocksY = Math.ceil(height / 8);
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      const [r, g, b] = pixel(Math.min(bx * 8, width - 1), Math.min(by * 8, height - 1));
      const ycc = [
        0.299 * r + 0.587 * g + 0.114 * b,
        -0.168736 * r - 0.331264 * g + 0.5 * b + 128,
        0.5 * r - 0.418688 * g - 0.081312 * b + 128,
      ];
      for (let c = 0; c < 3; c++) {
        const coefficient = Math.round(8 * (Math.min(255, Math.max(0, Math.round(ycc[c]))) - 128));
        const diff = coefficient - previous[c];
        previous[c] = coefficient;
        const magnitude = Math.abs(diff);
        const category = magnitude === 0 ? 0 : Math.floor(Math.log2(magnitude)) + 1;
        const code = dc.get(category);
        bits.write(code.code, code.length);
        if (category > 0) bits.write(diff > 0 ? diff : diff + (1 << category) - 1, category);
        const eob = ac.get(0x00);
        bits.write(eob.code, eob.length);
      }
    }
  }
  out.push(bits.finish());
  out.push(Buffer.from([0xff, 0xd9]));
  return Buffer.concat(out);
}

// The same JPEG with an EXIF block right after SOI: Orientation, a GPS
// position and an ImageDescription that must not survive.
export const EXIF_SECRET = 'SAMWAAD-SECRET-DESCRIPTION';
export function withExif(jpegBuf, orientation) {
  const entries = (list, at) => {
    // A little-endian TIFF IFD at offset `at`, values after it.
    const head = [];
    const values = [];
    let valuesAt = at + 2 + 12 * list.length + 4;
    const u16 = (n) => {
      const b = Buffer.alloc(2);
      b.writeUInt16LE(n);
      return b;
    };
    const u32 = (n) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n >>> 0);
      return b;
    };
    head.push(u16(list.length));
    for (const { tag, type, count, value } of list) {
      head.push(u16(tag), u16(type), u32(count));
      if (value.length <= 4) {
        head.push(Buffer.concat([value, Buffer.alloc(4 - value.length)]));
      } else {
        head.push(u32(valuesAt));
        const padded = value.length % 2 ? Buffer.concat([value, Buffer.alloc(1)]) : value;
        values.push(padded);
        valuesAt += padded.length;
      }
    }
    head.push(u32(0));
    return Buffer.concat([...head, ...values]);
  };
  const rationals = (pairs) =>
    Buffer.concat(
      pairs.flatMap(([n, d]) => {
        const b = Buffer.alloc(8);
        b.writeUInt32LE(n, 0);
        b.writeUInt32LE(d, 4);
        return [b];
      }),
    );
  const short = Buffer.alloc(2);
  short.writeUInt16LE(orientation);
  const description = Buffer.from(`${EXIF_SECRET}\0`, 'latin1');
  const ifd0 = (gpsAt) => {
    const pointer = Buffer.alloc(4);
    pointer.writeUInt32LE(gpsAt);
    return entries(
      [
        { tag: 0x010e, type: 2, count: description.length, value: description },
        { tag: 0x0112, type: 3, count: 1, value: short },
        { tag: 0x8825, type: 4, count: 1, value: pointer },
      ],
      8,
    );
  };
  const gpsAt = 8 + ifd0(0).length;
  const gps = entries(
    [
      { tag: 1, type: 2, count: 2, value: Buffer.from('N\0', 'latin1') },
      { tag: 2, type: 5, count: 3, value: rationals([[51, 1], [30, 1], [1234, 100]]) },
      { tag: 3, type: 2, count: 2, value: Buffer.from('W\0', 'latin1') },
      { tag: 4, type: 5, count: 3, value: rationals([[0, 1], [7, 1], [3999, 100]]) },
    ],
    gpsAt,
  );
  const tiff = Buffer.concat([Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]), ifd0(gpsAt), gps]);
  const app1 = segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]));
  return Buffer.concat([jpegBuf.subarray(0, 2), app1, jpegBuf.subarray(2)]);
}

// A comment segment (COM) after SOI.
export function withComment(jpegBuf, text) {
  return Buffer.concat([jpegBuf.subarray(0, 2), segment(0xfe, Buffer.from(text, 'latin1')), jpegBuf.subarray(2)]);
}

// --- GIF (LZW with a clear code before the code size would grow, which keeps
// every code 9 bits wide: valid, if not small)

export function animatedGif(width, height, colours) {
  const palette = Buffer.alloc(256 * 3);
  colours.forEach(([r, g, b], i) => palette.set([r, g, b], i * 3));
  const parts = [
    Buffer.from('GIF89a', 'latin1'),
    Buffer.from([width & 0xff, width >> 8, height & 0xff, height >> 8, 0xf7, 0, 0]),
    palette,
    Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0', 'latin1'), 3, 1, 0, 0, 0]), // loop forever
  ];
  colours.forEach((_, frame) => {
    parts.push(Buffer.from([0x21, 0xf9, 4, 0x04, 10, 0, 0, 0])); // 100 ms
    parts.push(Buffer.from([0x2c, 0, 0, 0, 0, width & 0xff, width >> 8, height & 0xff, height >> 8, 0]));
    parts.push(Buffer.from([8]));
    const clear = 256;
    const end = 257;
    let acc = 0;
    let count = 0;
    const bytes = [];
    const put = (code) => {
      acc |= code << count;
      count += 9;
      while (count >= 8) {
        bytes.push(acc & 0xff);
        acc >>= 8;
        count -= 8;
      }
    };
    put(clear);
    let sinceClear = 0;
    for (let i = 0; i < width * height; i++) {
      if (sinceClear === 254) {
        put(clear);
        sinceClear = 0;
      }
      put(frame);
      sinceClear++;
    }
    put(end);
    if (count > 0) bytes.push(acc & 0xff);
    for (let i = 0; i < bytes.length; i += 255) {
      const block = bytes.slice(i, i + 255);
      parts.push(Buffer.from([block.length, ...block]));
    }
    parts.push(Buffer.from([0]));
  });
  parts.push(Buffer.from([0x3b]));
  return Buffer.concat(parts);
}

// --- Reading back what a file declares

// {format, width, height, frames} from the headers of a JPEG, PNG or GIF.
export function imageInfo(buf) {
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    let at = 2;
    while (at < buf.length) {
      if (buf[at] !== 0xff) throw new Error('not a JPEG marker');
      const marker = buf[at + 1];
      const length = buf.readUInt16BE(at + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: 'jpg', height: buf.readUInt16BE(at + 5), width: buf.readUInt16BE(at + 7), frames: 1 };
      }
      at += 2 + length;
    }
    throw new Error('no SOF marker');
  }
  if (buf.subarray(0, 8).equals(PNG_SIGNATURE)) {
    return { format: 'png', width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), frames: 1 };
  }
  if (buf.subarray(0, 3).toString('latin1') === 'GIF') {
    let frames = 0;
    let at = 13 + (buf[10] & 0x80 ? 3 * 2 ** ((buf[10] & 7) + 1) : 0);
    let frameWidth = 0;
    let frameHeight = 0;
    while (at < buf.length && buf[at] !== 0x3b) {
      if (buf[at] === 0x21) {
        at += 2;
        while (buf[at] !== 0) at += buf[at] + 1;
        at += 1;
      } else if (buf[at] === 0x2c) {
        frames++;
        frameWidth = Math.max(frameWidth, buf.readUInt16LE(at + 5));
        frameHeight = Math.max(frameHeight, buf.readUInt16LE(at + 7));
        const flags = buf[at + 9];
        at += 10 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0) + 1;
        while (buf[at] !== 0) at += buf[at] + 1;
        at += 1;
      } else {
        throw new Error(`bad GIF block 0x${buf[at].toString(16)}`);
      }
    }
    return { format: 'gif', width: buf.readUInt16LE(6), height: buf.readUInt16LE(8), frames };
  }
  if (buf.subarray(0, 4).toString('latin1') === 'RIFF' && buf.subarray(8, 12).toString('latin1') === 'WEBP') {
    return { format: 'webp' };
  }
  throw new Error('unknown image format');
}

// Whether the JPEG has an APP1 (EXIF/XMP) or COM segment before its image data.
export function jpegSegments(buf) {
  const markers = [];
  let at = 2;
  while (at < buf.length && buf[at] === 0xff) {
    const marker = buf[at + 1];
    markers.push(marker);
    if (marker === 0xda) break;
    at += 2 + buf.readUInt16BE(at + 2);
  }
  return markers;
}
