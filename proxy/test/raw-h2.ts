import { connect } from 'node:tls';

/**
 * A deliberately naive HTTP/2 client for hostile requests: node's own client
 * refuses to send invalid names and values, so this one writes the frames
 * itself (HPACK literals, no Huffman, no dynamic table) on a fresh TLS
 * connection per request and reports what came back for stream 1: the
 * response `:status`, or that the stream was reset or the connection closed.
 */
export type H2Outcome = { kind: 'status'; status: number } | { kind: 'reset'; code: number } | { kind: 'goaway'; code: number } | { kind: 'closed' };

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const STATIC_STATUS: Record<number, number> = { 8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500 };

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

function hpackInt(value: number, prefixBits: number, first: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** HPACK "literal header field never indexed, new name", raw (non-Huffman) strings. */
function encodeFields(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(Buffer.from([0x10, ...hpackInt(n.length, 7, 0)]), n, Buffer.from(hpackInt(v.length, 7, 0)), v);
  }
  return Buffer.concat(parts);
}

/** Decodes a Huffman string made only of digits (how :status values are sent). */
function huffmanDigits(bytes: Buffer): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  let total = bytes.length * 8;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5 && total >= 5) {
      const five = (acc >> (bits - 5)) & 0x1f;
      if (five <= 2) {
        out += String(five);
        bits -= 5;
        total -= 5;
      } else if (bits >= 6) {
        const six = (acc >> (bits - 6)) & 0x3f;
        if (six < 0x19 || six > 0x1f) return out;
        out += String(six - 0x19 + 3);
        bits -= 6;
        total -= 6;
      } else break;
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

function statusOf(block: Buffer): number {
  // Past the end reads as 0, as the bitwise ops would treat undefined.
  const at = (k: number): number => block[k] ?? 0;
  let i = 0;
  while ((at(i) & 0xe0) === 0x20) i++;
  const b = at(i);
  if (b & 0x80) return STATIC_STATUS[b & 0x7f] ?? 0;
  const nameIndex = (b & 0xc0) === 0x40 ? b & 0x3f : b & 0x0f;
  if (STATIC_STATUS[nameIndex] === undefined) return 0;
  const len = at(i + 1) & 0x7f;
  const value = block.subarray(i + 2, i + 2 + len);
  return Number(at(i + 1) & 0x80 ? huffmanDigits(value) : value.toString('latin1'));
}

/** Sends one request on stream 1 (`fields` in order, pseudo-headers included) and an optional body; resolves with the outcome. */
export function rawH2(port: number, ca: Buffer, fields: readonly (readonly [string, string])[], body?: Buffer, ms = 5000): Promise<H2Outcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: H2Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const socket = connect({ host: '127.0.0.1', port, servername: 'site.test', ca, ALPNProtocols: ['h2'] }, () => {
      const block = encodeFields(fields);
      const out = [PREFACE, frame(4, 0, 0, Buffer.alloc(0)), frame(1, 0x4 | (body === undefined ? 0x1 : 0), 1, block)];
      if (body !== undefined) out.push(frame(0, 0x1, 1, body));
      socket.write(Buffer.concat(out));
    });
    const timer = setTimeout(() => finish({ kind: 'closed' }), ms);
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) return;
        const type = buf.readUInt8(3);
        const flags = buf.readUInt8(4);
        const stream = buf.readUInt32BE(5) & 0x7fffffff;
        let payload = buf.subarray(9, 9 + len);
        buf = buf.subarray(9 + len);
        if (type === 4 && (flags & 1) === 0) socket.write(frame(4, 1, 0, Buffer.alloc(0)));
        else if (type === 1 && stream === 1) {
          if (flags & 0x8) payload = payload.subarray(1, payload.length - (payload[0] ?? payload.length));
          if (flags & 0x20) payload = payload.subarray(5);
          finish({ kind: 'status', status: statusOf(payload) });
        } else if (type === 3 && stream === 1) finish({ kind: 'reset', code: payload.readUInt32BE(0) });
        else if (type === 7) finish({ kind: 'goaway', code: payload.readUInt32BE(4) });
      }
    });
    socket.on('error', () => finish({ kind: 'closed' }));
    socket.on('close', () => finish({ kind: 'closed' }));
  });
}
