/**
 * The PROXY protocol (HAProxy's v1 text and v2 binary headers), written once
 * for both tiers: the edge proxy reads it on listeners and sends it to
 * upstreams, tsgi-appserver's --sticky master reads it from trusted peers.
 */
import { isIP } from 'node:net';
import { wireError, type WireError } from './errors.js';
import { normalizePeer } from './address.js';

/** The addresses a PROXY protocol header carried. */
export interface ProxiedAddress {
  family: 4 | 6;
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
}

/**
 * A parsed header: `address` is null for v1 `UNKNOWN`, v2 `LOCAL` and
 * address families the proxy does not map (unix, unspecified), in which
 * case the connection's own peer stands.
 */
export interface ProxyHeader {
  version: 1 | 2;
  address: ProxiedAddress | null;
  /** Bytes the header took; the HTTP (or TLS) stream starts there. */
  length: number;
}

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V2_SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** The spec's maximum v1 line, CRLF included. */
const V1_MAX = 107;
/** v2 allows 64 KiB of TLVs; no load balancer sends more than a few hundred bytes. */
const V2_MAX_PAYLOAD = 4096;
const PORT = /^(?:0|[1-9][0-9]{0,4})$/;

/**
 * Parses a PROXY protocol v1 or v2 header at the start of `buf`. Returns null
 * while more bytes are needed; throws H1_ERR_PROXY_PROTOCOL (the caller
 * closes the connection, as nginx does) once the bytes can't be a valid
 * header. Byte-level and strict: v1 must be exactly `PROXY TCP4|TCP6|UNKNOWN`
 * with canonical addresses and ports, CRLF within 107 bytes; v2 must carry the
 * signature, version 2, a known command and family, and a length that covers
 * the addresses.
 */
export function parseProxyHeader(buf: Buffer): ProxyHeader | null {
  if (buf.length === 0) return null;
  if (buf[0] === 0x50 /* P */) return parseV1(buf);
  if (buf[0] === 0x0d) return parseV2(buf);
  throw bad('no PROXY protocol header');
}

function parseV1(buf: Buffer): ProxyHeader | null {
  const n = Math.min(buf.length, V1_PREFIX.length);
  if (buf.compare(V1_PREFIX, 0, n, 0, n) !== 0) throw bad('no PROXY protocol header');
  const lf = buf.indexOf(0x0a);
  if (lf < 0) {
    if (buf.length >= V1_MAX) throw bad('v1 header longer than 107 bytes');
    return null;
  }
  if (lf + 1 > V1_MAX) throw bad('v1 header longer than 107 bytes');
  if (buf[lf - 1] !== 0x0d) throw bad('v1 header not ended by CRLF');
  const line = buf.toString('latin1', 0, lf - 1);
  if (/[^\x21-\x7e ]/.test(line)) throw bad('v1 header holds control or non-ASCII bytes');
  const parts = line.split(' ');
  const length = lf + 1;
  if (parts[1] === 'UNKNOWN') return { version: 1, address: null, length };
  if (parts.length !== 6) throw bad('v1 header needs protocol, two addresses and two ports');
  const [, proto = '', src = '', dst = '', sport = '', dport = ''] = parts; // all six are there: length checked
  const family = proto === 'TCP4' ? 4 : proto === 'TCP6' ? 6 : 0;
  if (family === 0) throw bad(`v1 protocol must be TCP4, TCP6 or UNKNOWN, got ${JSON.stringify(proto.slice(0, 16))}`);
  if (isIP(src) !== family || isIP(dst) !== family) throw bad(`v1 addresses are not ${proto} addresses`);
  if (!PORT.test(sport) || !PORT.test(dport) || Number(sport) > 65535 || Number(dport) > 65535) throw bad('v1 ports must be 0-65535 without leading zeros');
  return {
    version: 1,
    address: { family, sourceAddress: src, sourcePort: Number(sport), destinationAddress: dst, destinationPort: Number(dport) },
    length,
  };
}

function parseV2(buf: Buffer): ProxyHeader | null {
  const n = Math.min(buf.length, V2_SIG.length);
  if (buf.compare(V2_SIG, 0, n, 0, n) !== 0) throw bad('no PROXY protocol header');
  if (buf.length < 16) return null;
  const verCmd = buf.readUInt8(12);
  if (verCmd >> 4 !== 2) throw bad(`v2 version must be 2, got ${verCmd >> 4}`);
  const cmd = verCmd & 0x0f;
  if (cmd > 1) throw bad(`v2 command must be LOCAL or PROXY, got ${cmd}`);
  const fam = buf.readUInt8(13);
  const payload = buf.readUInt16BE(14);
  if (payload > V2_MAX_PAYLOAD) throw bad(`v2 header of ${payload} bytes is over ${V2_MAX_PAYLOAD}`);
  const addrFamily = fam >> 4;
  const transport = fam & 0x0f;
  if (addrFamily > 3 || transport > 2) throw bad(`v2 address family byte 0x${fam.toString(16)} is not defined`);
  const need = addrFamily === 1 ? 12 : addrFamily === 2 ? 36 : addrFamily === 3 ? 216 : 0;
  if (payload < need) throw bad(`v2 length ${payload} is shorter than its addresses (${need})`);
  if (buf.length < 16 + payload) return null;
  const length = 16 + payload;
  // LOCAL (health checks from the balancer itself), UNSPEC, unix and UDP keep the real peer.
  if (cmd === 0 || addrFamily === 0 || addrFamily === 3 || transport !== 1) return { version: 2, address: null, length };
  if (addrFamily === 1) {
    return {
      version: 2,
      address: {
        family: 4,
        sourceAddress: ipv4(buf, 16),
        destinationAddress: ipv4(buf, 20),
        sourcePort: buf.readUInt16BE(24),
        destinationPort: buf.readUInt16BE(26),
      },
      length,
    };
  }
  return {
    version: 2,
    address: {
      family: 6,
      sourceAddress: ipv6(buf, 16),
      destinationAddress: ipv6(buf, 32),
      sourcePort: buf.readUInt16BE(48),
      destinationPort: buf.readUInt16BE(50),
    },
    length,
  };
}

function ipv4(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

function ipv6(buf: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(at + i * 2).toString(16));
  // IPv4-mapped sources are logged and matched as plain IPv4, like accepted sockets.
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') return ipv4(buf, at + 12);
  return compressV6(groups);
}

/** RFC 5952 form: the longest run (≥ 2) of zero groups becomes `::`. */
function compressV6(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Serialises a v1 header (`UNKNOWN` when there is no address to pass on). */
export function encodeProxyV1(a: ProxiedAddress | null): Buffer {
  if (a === null) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  return Buffer.from(`PROXY TCP${a.family} ${a.sourceAddress} ${a.destinationAddress} ${a.sourcePort} ${a.destinationPort}\r\n`, 'latin1');
}

/** Serialises a v2 header without TLVs (`LOCAL` when there is no address). */
export function encodeProxyV2(a: ProxiedAddress | null): Buffer {
  if (a === null) {
    const out = Buffer.alloc(16);
    V2_SIG.copy(out, 0);
    out[12] = 0x20;
    return out;
  }
  const len = a.family === 4 ? 12 : 36;
  const out = Buffer.alloc(16 + len);
  V2_SIG.copy(out, 0);
  out[12] = 0x21;
  out[13] = a.family === 4 ? 0x11 : 0x21;
  out.writeUInt16BE(len, 14);
  if (a.family === 4) {
    writeV4(out, 16, a.sourceAddress);
    writeV4(out, 20, a.destinationAddress);
    out.writeUInt16BE(a.sourcePort, 24);
    out.writeUInt16BE(a.destinationPort, 26);
  } else {
    writeV6(out, 16, a.sourceAddress);
    writeV6(out, 32, a.destinationAddress);
    out.writeUInt16BE(a.sourcePort, 48);
    out.writeUInt16BE(a.destinationPort, 50);
  }
  return out;
}

function writeV4(out: Buffer, at: number, ip: string): void {
  ip.split('.').forEach((p, i) => (out[at + i] = Number(p)));
}

function writeV6(out: Buffer, at: number, ip: string): void {
  let text = ip;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const b = (k: number): number => Number(dotted[k]);
    text = `${text.slice(0, dotted.index)}${((b(1) << 8) | b(2)).toString(16)}:${((b(3) << 8) | b(4)).toString(16)}`;
  }
  const halves = text.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups = [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  for (let i = 0; i < 8; i++) out.writeUInt16BE(parseInt(groups[i] ?? '0', 16) & 0xffff, at + i * 2);
}

/**
 * The address to announce upstream for a client: IPv4-mapped forms are
 * reduced, mixed families fall back to the source's family with an
 * unspecified destination.
 */
export function proxiedAddressOf(source: string, sourcePort: number, dest: string, destPort: number): ProxiedAddress | null {
  const s = normalizePeer(source);
  const d = normalizePeer(dest);
  const fs = isIP(s);
  if (fs === 0) return null;
  const fd = isIP(d);
  const family = fs as 4 | 6;
  const destinationAddress = fd === fs ? d : family === 4 ? '0.0.0.0' : '::';
  return { family, sourceAddress: s, sourcePort, destinationAddress, destinationPort: destPort };
}

function bad(detail: string): WireError {
  return wireError('H1_ERR_PROXY_PROTOCOL', detail);
}
