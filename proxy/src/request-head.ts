import { proxyError } from './errors.js';

/** Limits applied while reading a request head. */
export interface HeadLimits {
  maxRequestLine: number;
  maxHeaderBytes: number;
  maxHeaders: number;
}

/**
 * A request head parsed strictly once from the client's bytes. Header names
 * keep their original spelling (`names`) beside a lower-cased copy (`lower`)
 * so re-serialisation sends what the client sent.
 */
export interface RequestHead {
  method: string;
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  names: string[];
  lower: string[];
  values: string[];
  host: string;
  /** -1 when the request declared no Content-Length. */
  contentLength: number;
  chunked: boolean;
  keepAlive: boolean;
  expectContinue: boolean;
  /** The Upgrade header's value when Connection lists `upgrade`, else ''. */
  upgrade: string;
  /** Lower-cased names listed in Connection (other than close/keep-alive/upgrade): hop-by-hop for this message. */
  connectionTokens: string[] | null;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Anywhere in a head: controls other than HTAB/CR/LF, a CR not before LF, an LF not after CR.
const BAD_HEAD = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
// Request targets: no controls, spaces or non-ASCII (they must be percent-encoded).
const BAD_TARGET = /[\x00-\x20\x7f-\xff]/;
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]{0,5})?$/;
const CONTENT_LENGTH = /^[0-9]{1,15}$/;
const TCHAR = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[ch.charCodeAt(0)] = 1;
const PCT_TRIPLET = /%(?![0-9A-Fa-f]{2})/;

/** The number of bytes of empty lines (CRLF pairs) at the start of `buf`, which RFC 9112 2.2 says to ignore before a request line. */
export function leadingEmptyLines(buf: Buffer): number {
  let i = 0;
  while (i + 1 < buf.length && buf[i] === 13 && buf[i + 1] === 10) i += 2;
  return i;
}

/**
 * Finds the end of a request head in `buf` (the index just past CRLFCRLF),
 * or -1 when more bytes are needed. Throws the catalogued error when the bytes
 * already seen can never become a valid head (bare LF, over-long line or head).
 */
export function findHeadEnd(buf: Buffer, limits: HeadLimits): number {
  const end = buf.indexOf('\r\n\r\n');
  if (end >= 0) {
    if (end + 4 > limits.maxHeaderBytes + limits.maxRequestLine) throw tooLarge(buf, limits);
    return end + 4;
  }
  // A bare LF never ends a head here; refuse it now instead of waiting for the timeout.
  let lf = buf.indexOf(10);
  while (lf >= 0) {
    if (lf === 0 || buf[lf - 1] !== 13) throw proxyError('PX_ERR_BAD_REQUEST', 'bare LF in request head');
    lf = buf.indexOf(10, lf + 1);
  }
  if (buf.length > limits.maxHeaderBytes + limits.maxRequestLine) throw tooLarge(buf, limits);
  // A request line starts with a method token: other bytes (a TLS ClientHello on the plain port, binary junk) can never become a request.
  const c0 = buf[0];
  if (c0 !== 13 && (c0 > 127 || TCHAR[c0] === 0)) throw proxyError('PX_ERR_BAD_REQUEST', 'not an HTTP request');
  const firstLine = buf.indexOf('\r\n');
  if (firstLine < 0 && buf.length > limits.maxRequestLine) throw proxyError('PX_ERR_URI_TOO_LONG');
  return -1;
}

/**
 * Malformed percent-encoding anywhere, and a path that does not decode to
 * UTF-8, are refused at the edge: the app server behind would have to refuse
 * them (its PATH_INFO is decoded text), and refusing here keeps them from
 * reaching it. Queries are left to the application.
 */
function checkPercentEncoding(target: string): void {
  if (PCT_TRIPLET.test(target)) throw proxyError('PX_ERR_BAD_REQUEST', 'malformed percent-encoding in request target');
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (!path.includes('%')) return;
  try {
    decodeURIComponent(path);
  } catch {
    throw proxyError('PX_ERR_BAD_REQUEST', 'request path is not UTF-8 once percent-decoded');
  }
}

function tooLarge(buf: Buffer, limits: HeadLimits): Error {
  const firstLine = buf.indexOf('\r\n');
  if (firstLine < 0 || firstLine > limits.maxRequestLine) return proxyError('PX_ERR_URI_TOO_LONG');
  return proxyError('PX_ERR_HEADERS_TOO_LARGE', 'header section too large');
}

/** Parses `head` (latin1, ending in CRLFCRLF) strictly. Throws a ProxyError naming the status on any bad shape. */
export function parseRequestHead(head: string, limits: HeadLimits): RequestHead {
  // One pass over the whole head for control bytes and lone CR/LF; lines are then known clean.
  if (BAD_HEAD.test(head)) throw proxyError('PX_ERR_BAD_REQUEST', 'control byte or bare CR/LF in request head');
  let pos = 0;
  // RFC 9112 2.2: ignore empty lines before the request line.
  while (head.charCodeAt(pos) === 13 && head.charCodeAt(pos + 1) === 10) pos += 2;
  let eol = head.indexOf('\r\n', pos);
  if (eol - pos > limits.maxRequestLine) throw proxyError('PX_ERR_URI_TOO_LONG');
  const sp1 = head.indexOf(' ', pos);
  const sp2 = sp1 < 0 ? -1 : head.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0 || sp2 > eol) throw proxyError('PX_ERR_BAD_REQUEST', 'malformed request line');
  const method = head.slice(pos, sp1);
  let target = head.slice(sp1 + 1, sp2);
  const version = head.slice(sp2 + 1, eol);
  if (!TOKEN.test(method)) throw proxyError('PX_ERR_BAD_REQUEST', 'invalid method');
  let minor: number;
  if (version === 'HTTP/1.1') minor = 1;
  else if (version === 'HTTP/1.0') minor = 0;
  // RFC 9110 2.5: a higher minor version is treated as the highest supported one.
  else if (/^HTTP\/1\.[2-9]$/.test(version)) minor = 1;
  else if (/^HTTP\/[02-9]\.[0-9]$/.test(version)) throw proxyError('PX_ERR_VERSION', version);
  else throw proxyError('PX_ERR_BAD_REQUEST', 'invalid HTTP version');
  if (target.length === 0 || BAD_TARGET.test(target)) throw proxyError('PX_ERR_BAD_REQUEST', 'invalid request target');
  // RFC 9112 3.2: a fragment is never sent; '%' must start a percent-encoded octet.
  if (target.includes('#')) throw proxyError('PX_ERR_BAD_REQUEST', 'fragment in request target');
  if (target.includes('%')) checkPercentEncoding(target);
  if (method === 'CONNECT') throw proxyError('PX_ERR_NOT_IMPLEMENTED', 'CONNECT');

  let absoluteHost: string | null = null;
  const c0 = target.charCodeAt(0);
  if (c0 !== 47 /* / */) {
    if (target === '*' && method === 'OPTIONS') {
      // asterisk-form is valid only for OPTIONS
    } else {
      const m = /^https?:\/\/([^/?#@]+)([/?][^#]*)?$/i.exec(target);
      if (!m) throw proxyError('PX_ERR_BAD_REQUEST', 'invalid request target');
      absoluteHost = m[1];
      target = m[2] === undefined ? '/' : m[2][0] === '?' ? `/${m[2]}` : m[2];
    }
  }

  const names: string[] = [];
  const lower: string[] = [];
  const values: string[] = [];
  let host: string | null = null;
  let hostCount = 0;
  let contentLength = -1;
  let teCount = 0;
  let chunked = false;
  let connClose = false;
  let connKeepAlive = false;
  let connUpgrade = false;
  let upgradeValue = '';
  let expectContinue = false;
  let connectionTokens: string[] | null = null;

  pos = eol + 2;
  const headEnd = head.length - 2;
  while (pos < headEnd) {
    eol = head.indexOf('\r\n', pos);
    const c = head.charCodeAt(pos);
    if (c === 32 || c === 9) throw proxyError('PX_ERR_BAD_REQUEST', 'obsolete line folding');
    const colon = head.indexOf(':', pos);
    if (colon < 0 || colon > eol) throw proxyError('PX_ERR_BAD_REQUEST', 'header line without colon');
    const name = head.slice(pos, colon);
    if (!TOKEN.test(name)) throw proxyError('PX_ERR_BAD_REQUEST', 'invalid header name');
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && (head.charCodeAt(vs) === 32 || head.charCodeAt(vs) === 9)) vs++;
    while (ve > vs && (head.charCodeAt(ve - 1) === 32 || head.charCodeAt(ve - 1) === 9)) ve--;
    const value = head.slice(vs, ve);
    if (names.length >= limits.maxHeaders) throw proxyError('PX_ERR_HEADERS_TOO_LARGE', 'too many header fields');
    if (eol - pos > limits.maxHeaderBytes) throw proxyError('PX_ERR_HEADERS_TOO_LARGE', 'header line too long');
    const low = name.toLowerCase();
    switch (low) {
      case 'host':
        hostCount++;
        host = value;
        break;
      case 'content-length':
        if (contentLength !== -1) throw proxyError('PX_ERR_SMUGGLING', 'repeated Content-Length');
        if (!CONTENT_LENGTH.test(value)) throw proxyError('PX_ERR_SMUGGLING', 'invalid Content-Length');
        contentLength = Number(value);
        break;
      case 'transfer-encoding':
        teCount++;
        if (value.toLowerCase() === 'chunked') chunked = true;
        else if (/(?:^|,)\s*chunked\s*$/i.test(value)) throw proxyError('PX_ERR_NOT_IMPLEMENTED', 'transfer coding');
        else if (!/(?:^|,)\s*chunked\s*(?:,|$)/i.test(value)) throw proxyError('PX_ERR_NOT_IMPLEMENTED', `transfer coding ${value.slice(0, 40)}`);
        else throw proxyError('PX_ERR_SMUGGLING', 'Transfer-Encoding without final chunked');
        break;
      case 'connection':
        for (const raw of value.split(',')) {
          const t = raw.trim().toLowerCase();
          if (t === 'close') connClose = true;
          else if (t === 'keep-alive') connKeepAlive = true;
          else if (t === 'upgrade') connUpgrade = true;
          else if (t !== '') (connectionTokens ??= []).push(t);
        }
        break;
      case 'upgrade':
        upgradeValue = value;
        break;
      case 'expect':
        if (value.toLowerCase() === '100-continue') expectContinue = true;
        else throw proxyError('PX_ERR_EXPECTATION', value);
        break;
      default:
        break;
    }
    names.push(name);
    lower.push(low);
    values.push(value);
    pos = eol + 2;
  }

  if (teCount > 1) throw proxyError('PX_ERR_SMUGGLING', 'repeated Transfer-Encoding');
  if (chunked && contentLength !== -1) throw proxyError('PX_ERR_SMUGGLING', 'Content-Length with Transfer-Encoding');
  if (chunked && minor === 0) throw proxyError('PX_ERR_SMUGGLING', 'Transfer-Encoding on HTTP/1.0');
  if (hostCount > 1) throw proxyError('PX_ERR_BAD_REQUEST', 'repeated Host');
  if (minor === 1 && hostCount === 0) throw proxyError('PX_ERR_BAD_REQUEST', 'missing Host');
  if (host !== null && !HOST.test(host)) throw proxyError('PX_ERR_BAD_REQUEST', 'invalid Host');
  if (absoluteHost !== null) {
    if (!HOST.test(absoluteHost)) throw proxyError('PX_ERR_BAD_REQUEST', 'invalid authority');
    host = absoluteHost;
  }
  return {
    method,
    target,
    minor,
    names,
    lower,
    values,
    host: host ?? '',
    contentLength,
    chunked,
    keepAlive: minor === 1 ? !connClose : connKeepAlive && !connClose,
    expectContinue: expectContinue && minor === 1,
    upgrade: connUpgrade && upgradeValue !== '' ? upgradeValue : '',
    connectionTokens,
  };
}
