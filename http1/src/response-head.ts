import { isToken } from './chars.js';
import { wireError } from './errors.js';
import { HEAD_CTL, hasControl } from './field-line.js';
import { PROXY_HOP_BY_HOP_FIELDS } from './hop-by-hop.js';

/** What a proxy needs from an upstream response head: status, framing, and the fields to pass on. */
export interface ResponseHead {
  status: number;
  reason: string;
  /** 0 for HTTP/1.0 upstreams, 1 for HTTP/1.1. */
  minor: number;
  /** -1 when none was declared. */
  contentLength: number;
  chunked: boolean;
  /** The upstream asked to close (or spoke HTTP/1.0 without keep-alive). */
  close: boolean;
  /** Field lines to forward, each `name: value\r\n` as received, hop-by-hop fields removed. */
  lines: string;
}

/** Fields the proxy drops from a response: the hop-by-hop ones, and Content-Length, which it re-frames. */
const DROPPED = new Set([...PROXY_HOP_BY_HOP_FIELDS, 'content-length']);
/** First bytes (lower-cased) of the dropped names: other lines skip the lower-casing. */
const DROPPED_FIRST = new Uint8Array(128);
for (const name of DROPPED) DROPPED_FIRST[name.charCodeAt(0)] = 1;

/** A response's Content-Length: 1 to 15 digits, else the response cannot be framed. */
function responseLength(value: string): number {
  if (value.length === 0 || value.length > 15) throw bad('invalid Content-Length');
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw bad('invalid Content-Length');
  }
  return Number(value);
}

function bad(detail: string): Error {
  return wireError('H1_ERR_BAD_RESPONSE', detail);
}

/**
 * Parses a response head (latin1, ending in CRLFCRLF) for forwarding.
 * Anything a proxy could misframe (bad status line, bare CR/LF, controls,
 * differing Content-Lengths, transfer codings other than one chunked, CL
 * with TE) throws H1_ERR_BAD_RESPONSE. `keepUpgrade` keeps Upgrade for a
 * 101 answer to an upgrade request.
 */
export function parseResponseHead(head: string, keepUpgrade: boolean): ResponseHead {
  let eol = head.indexOf('\r\n');
  if (head.indexOf('\n') !== eol + 1 || head.indexOf('\r') !== eol) throw bad('bare CR or LF in the status line');
  if (eol < 12 || head.charCodeAt(8) !== 32 || !head.startsWith('HTTP/1.')) throw bad('malformed status line');
  const v = head.charCodeAt(7);
  if (v !== 0x30 && v !== 0x31) throw bad('unsupported version');
  const minor = v - 0x30;
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = head.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) throw bad('bad status code');
    status = status * 10 + d;
  }
  if (status < 100 || status > 599) throw bad('bad status code');
  if (eol > 12 && head.charCodeAt(12) !== 32) throw bad('malformed status line');
  if (hasControl(head, 0, eol)) throw bad('control byte in the status line');
  const reason = eol > 12 ? head.slice(13, eol) : '';

  let contentLength = -1;
  let chunked = false;
  let close = minor === 0;
  let connTokens: string[] | null = null;
  let lines = '';
  let pos = eol + 2;
  // Forwarded lines are taken as runs of the head, cut only around the hop-by-hop ones.
  let run = pos;
  const end = head.length - 2;
  while (pos < end) {
    const lf = head.indexOf('\n', pos);
    eol = lf - 1;
    if (head.charCodeAt(eol) !== 13 || head.indexOf('\r', pos) !== eol) throw bad('bare CR or LF in head');
    const c = head.charCodeAt(pos);
    if (c === 32 || c === 9) throw bad('obsolete line folding');
    const colon = head.indexOf(':', pos);
    if (colon < 0 || colon > eol) throw bad('header line without colon');
    if (!isToken(head, pos, colon)) throw bad('invalid header name');
    if (hasControl(head, colon + 1, eol)) throw bad('control byte in a field value');
    const low = DROPPED_FIRST[c | 0x20] === 1 ? head.slice(pos, colon).toLowerCase() : '';
    if (low === '' || !DROPPED.has(low) || (low === 'upgrade' && keepUpgrade)) {
      pos = lf + 1;
      continue;
    }
    if (run < pos) lines += head.slice(run, pos);
    run = lf + 1;
    let vs = colon + 1;
    while (vs < eol && (head.charCodeAt(vs) === 32 || head.charCodeAt(vs) === 9)) vs++;
    const value = head.slice(vs, eol).trimEnd();
    switch (low) {
      case 'content-length': {
        const n = responseLength(value);
        // RFC 9112 section 6.3: repeated equal lengths may be taken as one; differing ones are an error.
        if (contentLength !== -1 && contentLength !== n) throw bad('conflicting Content-Length');
        contentLength = n;
        break;
      }
      case 'transfer-encoding':
        if (value.toLowerCase() !== 'chunked' || chunked) throw bad('unsupported Transfer-Encoding');
        chunked = true;
        break;
      case 'connection':
        for (const raw of value.split(',')) {
          const t = raw.trim().toLowerCase();
          if (t === 'close') close = true;
          else if (t === 'keep-alive') {
            if (minor === 0) close = false;
          } else if (t !== '' && t !== 'upgrade' && !DROPPED.has(t)) (connTokens ??= []).push(t);
        }
        break;
      default:
        break;
    }
    pos = lf + 1;
  }
  if (run < pos) lines += head.slice(run, pos);
  if (chunked && contentLength !== -1) throw bad('Content-Length with Transfer-Encoding');
  // Rare: the upstream named extra hop-by-hop fields in Connection; drop those lines too.
  if (connTokens !== null) lines = dropNamed(lines, connTokens);
  return { status, reason, minor, contentLength, chunked, close, lines };
}

/**
 * True when a response head still waiting for its blank line can already
 * never be valid (a bare LF, a CR not followed by LF, a control byte), so a
 * proxy answers 502 at once instead of waiting out the header timeout. A
 * trailing CR may still get its LF.
 */
export function partialResponseHeadIsBad(buf: Buffer): boolean {
  const n = buf[buf.length - 1] === 13 ? buf.length - 1 : buf.length;
  const text = buf.toString('latin1', 0, n);
  if (HEAD_CTL.test(text)) return true;
  let cr = text.indexOf('\r');
  while (cr !== -1) {
    if (text.charCodeAt(cr + 1) !== 10) return true;
    cr = text.indexOf('\r', cr + 2);
  }
  let lf = text.indexOf('\n');
  while (lf !== -1) {
    if (text.charCodeAt(lf - 1) !== 13) return true;
    lf = text.indexOf('\n', lf + 1);
  }
  return false;
}

function dropNamed(lines: string, names: readonly string[]): string {
  let out = '';
  let pos = 0;
  while (pos < lines.length) {
    const eol = lines.indexOf('\r\n', pos);
    const name = lines.slice(pos, lines.indexOf(':', pos)).toLowerCase();
    if (!names.includes(name)) out += lines.slice(pos, eol + 2);
    pos = eol + 2;
  }
  return out;
}
