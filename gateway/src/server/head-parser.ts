import { ProtocolError } from '../errors.js';
import type { RequestLimits } from '../server-types.js';
import type { RequestHead } from './request-head.js';
import { splitTarget } from './request-target.js';

/**
 * Bytes RFC 9112 never allows in a head: NUL and other controls (HTAB
 * aside), a CR not followed by LF, an LF not preceded by CR.
 */
const BAD_BYTES_RE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const REQUEST_LINE_RE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/([0-9])\.([0-9])$/;
/** Looks like a request line but with a version we do not speak (HTTP/2.0, HTTP/3, HTTP/0.9...). */
const OTHER_VERSION_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [\x21-\x7e]+ HTTP\/[0-9]+(\.[0-9]+)?$/;
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HOST_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(?::[0-9]*)?$/;
const DIGITS_RE = /^[0-9]+$/;

function bad(message: string, code = 'GW_ERR_BAD_REQUEST'): ProtocolError {
  return new ProtocolError(code, `Bad Request: ${message}`, 400);
}

function tooLarge(message: string): ProtocolError {
  return new ProtocolError('GW_ERR_HEADERS_TOO_LARGE', `Request Header Fields Too Large: ${message}`, 431);
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Checks the limits of a head that has not fully arrived, so an oversized
 * line is refused as soon as it is seen instead of after the timeout.
 * `buf[start..]` is the head so far.
 */
export function checkPartialHead(buf: Buffer, start: number, limits: RequestLimits): void {
  let p = start;
  for (let lineNo = 0; ; lineNo++) {
    const nl = buf.indexOf(10, p);
    const max = lineNo === 0 ? limits.requestLine : limits.fieldSize;
    if (nl === -1) {
      if (buf.length - p > max + 1) {
        if (lineNo === 0) throw new ProtocolError('GW_ERR_URI_TOO_LONG', `URI Too Long: request line over ${max} bytes`, 414);
        throw tooLarge(`header line over ${max} bytes`);
      }
      return;
    }
    if (nl === p || buf[nl - 1] !== 13) throw bad('line ends in a bare LF');
    if (nl - 1 - p > max) {
      if (lineNo === 0) throw new ProtocolError('GW_ERR_URI_TOO_LONG', `URI Too Long: request line over ${max} bytes`, 414);
      throw tooLarge(`header line over ${max} bytes`);
    }
    if (lineNo > limits.fields) throw tooLarge(`more than ${limits.fields} header fields`);
    p = nl + 1;
  }
}

/**
 * Parses one complete request head (`head` is its latin1 text including the
 * final CRLFCRLF) strictly per RFC 9112, refusing rather than guessing
 * (SRV-4, SRV-6). Throws ProtocolError with the status to answer.
 */
export function parseHead(head: string, limits: RequestLimits): RequestHead {
  const lineEnd = head.indexOf('\r\n');
  if (lineEnd > limits.requestLine) {
    throw new ProtocolError('GW_ERR_URI_TOO_LONG', `URI Too Long: request line over ${limits.requestLine} bytes`, 414);
  }
  const requestLine = head.slice(0, lineEnd);
  const m = REQUEST_LINE_RE.exec(requestLine);
  if (m === null) {
    if (OTHER_VERSION_RE.test(requestLine)) {
      throw new ProtocolError('GW_ERR_VERSION', 'HTTP Version Not Supported: this server speaks HTTP/1.0 and HTTP/1.1', 505);
    }
    throw bad('malformed request line');
  }
  if (BAD_BYTES_RE.test(head)) throw bad('control character, bare CR or bare LF in the head');
  const method = m[1];
  const target = m[2];
  if (m[3] !== '1') throw new ProtocolError('GW_ERR_VERSION', 'HTTP Version Not Supported: this server speaks HTTP/1.0 and HTTP/1.1', 505);
  // HTTP/1.2+ are answered as 1.1, the highest 1.x we implement (RFC 9110 section 2.5).
  const version = m[4] === '0' ? 'HTTP/1.0' : 'HTTP/1.1';
  if (target.includes('#')) throw bad('fragment in the request-target');
  const parts = splitTarget(target, method);
  if (parts === null) throw bad('request-target in no valid form for this method');

  const fields: string[] = [];
  let hostCount = 0;
  let host = '';
  let contentLength = -1;
  let te = '';
  let connClose = false;
  let connKeepAlive = false;
  let expectContinue = false;
  let forwardedProto = '';
  let count = 0;
  let pos = lineEnd + 2;
  for (;;) {
    const e = head.indexOf('\r\n', pos);
    if (e === pos) break;
    if (e - pos > limits.fieldSize) throw tooLarge(`header line over ${limits.fieldSize} bytes`);
    if (++count > limits.fields) throw tooLarge(`more than ${limits.fields} header fields`);
    if (isWs(head.charCodeAt(pos))) throw bad('obsolete line folding');
    const colon = head.indexOf(':', pos);
    if (colon === -1 || colon > e) throw bad('header line without a colon');
    const name = head.slice(pos, colon);
    if (!TOKEN_RE.test(name)) throw bad(`invalid header name ${JSON.stringify(name.slice(0, 40))}`);
    let s = colon + 1;
    let t = e;
    while (s < t && isWs(head.charCodeAt(s))) s++;
    while (t > s && isWs(head.charCodeAt(t - 1))) t--;
    const value = head.slice(s, t);
    fields.push(name, value);
    pos = e + 2;
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') {
          if (++hostCount > 1) throw bad('more than one Host header', 'GW_ERR_BAD_HOST');
          if (!HOST_RE.test(value)) throw bad('invalid Host header', 'GW_ERR_BAD_HOST');
          host = value;
        }
        break;
      case 6:
        if (name.toLowerCase() === 'expect') {
          if (value.toLowerCase() !== '100-continue') {
            throw new ProtocolError('GW_ERR_EXPECTATION', 'Expectation Failed: only 100-continue is supported', 417);
          }
          expectContinue = true;
        }
        break;
      case 10:
        if (name.toLowerCase() === 'connection') {
          for (const token of value.toLowerCase().split(',')) {
            const tk = token.trim();
            if (tk === 'close') connClose = true;
            else if (tk === 'keep-alive') connKeepAlive = true;
          }
        }
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (contentLength !== -1) throw bad('more than one Content-Length', 'GW_ERR_SMUGGLING');
          if (!DIGITS_RE.test(value) || value.length > 15) throw bad('invalid Content-Length', 'GW_ERR_SMUGGLING');
          contentLength = Number(value);
        }
        break;
      case 17: {
        const lower = name.toLowerCase();
        if (lower === 'transfer-encoding') te = te === '' ? value : `${te},${value}`;
        else if (lower === 'x-forwarded-proto') forwardedProto = value.split(',')[0].trim().toLowerCase();
        break;
      }
      default:
        break;
    }
  }

  if (version === 'HTTP/1.1' && hostCount === 0) throw bad('missing Host header', 'GW_ERR_BAD_HOST');
  let chunked = false;
  if (te !== '') {
    if (version === 'HTTP/1.0') throw bad('Transfer-Encoding in an HTTP/1.0 request', 'GW_ERR_SMUGGLING');
    if (contentLength !== -1) throw bad('both Content-Length and Transfer-Encoding', 'GW_ERR_SMUGGLING');
    const codings = te.split(',');
    for (let i = 0; i < codings.length; i++) {
      const coding = codings[i].trim().toLowerCase();
      if (coding === 'chunked') {
        if (chunked || i !== codings.length - 1) throw bad('chunked must be the last and only once', 'GW_ERR_SMUGGLING');
        chunked = true;
      } else if (coding === '' || !TOKEN_RE.test(coding)) {
        throw bad('malformed Transfer-Encoding', 'GW_ERR_SMUGGLING');
      } else {
        throw new ProtocolError('GW_ERR_UNSUPPORTED_TE', `Unsupported Transfer-Encoding: ${JSON.stringify(coding)} (only chunked)`, 501);
      }
    }
  }
  return {
    method,
    target,
    rawPath: parts.rawPath,
    query: parts.query,
    version,
    fields,
    host: parts.authority !== '' ? parts.authority : host,
    contentLength,
    chunked,
    keepAlive: version === 'HTTP/1.1' ? !connClose : connKeepAlive && !connClose,
    expectContinue: expectContinue && version === 'HTTP/1.1',
    forwardedProto,
  };
}
