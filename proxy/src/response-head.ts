import { proxyError } from './errors.js';

/** What the proxy needs from an upstream response head: status, framing, and the headers to pass on. */
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
  /** Header lines to forward to the client, each `name: value\r\n`, hop-by-hop already removed. */
  lines: string;
}

// Controls other than HTAB/CR/LF, a CR not followed by LF, or an LF not preceded by CR.
const BAD_HEAD = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const STATUS = /^[1-5][0-9][0-9]$/;
const CONTENT_LENGTH = /^[0-9]{1,15}$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

/**
 * Parses an upstream response head (latin1, ending in CRLFCRLF). Anything the
 * proxy could misframe (bad status line, controls in values, conflicting or
 * repeated lengths, non-chunked transfer codings) throws PX_ERR_UPSTREAM_BAD_RESPONSE.
 * `keepUpgrade` keeps Upgrade for a 101 answer to an upgrade request.
 */
export function parseResponseHead(head: string, keepUpgrade: boolean): ResponseHead {
  // One pass over the whole head for control bytes and lone CR/LF; lines are then known clean.
  if (BAD_HEAD.test(head)) throw badResponse('control byte or bare CR/LF in head');
  let eol = head.indexOf('\r\n');
  const line = head.slice(0, eol);
  if (line.length < 12 || line.charCodeAt(8) !== 32) throw badResponse('malformed status line');
  const version = line.slice(0, 8);
  let minor: number;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  else throw badResponse('unsupported version');
  const code = line.slice(9, 12);
  if (!STATUS.test(code)) throw badResponse('bad status code');
  const status = Number(code);
  if (line.length > 12 && line.charCodeAt(12) !== 32) throw badResponse('malformed status line');
  const reason = line.slice(13);

  let contentLength = -1;
  let chunked = false;
  let close = minor === 0;
  let connTokens: string[] | null = null;
  let lines = '';
  let pos = eol + 2;
  const end = head.length - 2;
  while (pos < end) {
    eol = head.indexOf('\r\n', pos);
    const c = head.charCodeAt(pos);
    if (c === 32 || c === 9) throw badResponse('obsolete line folding');
    const colon = head.indexOf(':', pos);
    if (colon < 0 || colon > eol) throw badResponse('header line without colon');
    const name = head.slice(pos, colon);
    if (!TOKEN.test(name)) throw badResponse('invalid header name');
    const low = name.toLowerCase();
    if (!HOP_BY_HOP.has(low) || (low === 'upgrade' && keepUpgrade)) {
      lines += head.slice(pos, eol + 2);
      pos = eol + 2;
      continue;
    }
    let vs = colon + 1;
    while (vs < eol && (head.charCodeAt(vs) === 32 || head.charCodeAt(vs) === 9)) vs++;
    const value = head.slice(vs, eol).trimEnd();
    switch (low) {
      case 'content-length':
        if (!CONTENT_LENGTH.test(value)) throw badResponse('invalid Content-Length');
        if (contentLength !== -1 && contentLength !== Number(value)) throw badResponse('conflicting Content-Length');
        contentLength = Number(value);
        break;
      case 'transfer-encoding':
        if (value.toLowerCase() !== 'chunked' || chunked) throw badResponse('unsupported Transfer-Encoding');
        chunked = true;
        break;
      case 'connection':
        for (const raw of value.split(',')) {
          const t = raw.trim().toLowerCase();
          if (t === 'close') close = true;
          else if (t === 'keep-alive') {
            if (minor === 0) close = false;
          } else if (t !== '' && t !== 'upgrade' && !HOP_BY_HOP.has(t)) (connTokens ??= []).push(t);
        }
        break;
      default:
        break;
    }
    pos = eol + 2;
  }
  if (chunked && contentLength !== -1) throw badResponse('Content-Length with Transfer-Encoding');
  // Rare: the upstream named extra hop-by-hop fields in Connection; drop those lines too.
  if (connTokens !== null) lines = dropNamed(lines, connTokens);
  return { status, reason, minor, contentLength, chunked, close, lines };
}

/**
 * True when a response head still waiting for its blank line can already
 * never be valid (a bare LF, a CR not followed by LF, a control byte), so the
 * proxy answers 502 at once instead of waiting out the header timeout
 * (RFC 9112 §2.2 lets a recipient reject bare LF). Only called on a head
 * that is not complete yet; a trailing CR may still get its LF.
 */
export function partialHeadIsBad(buf: Buffer): boolean {
  const end = buf[buf.length - 1] === 13 ? buf.length - 1 : buf.length;
  return BAD_HEAD.test(buf.toString('latin1', 0, end));
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

function badResponse(detail: string): Error {
  return proxyError('PX_ERR_UPSTREAM_BAD_RESPONSE', detail);
}
