import { wireError } from './errors.js';
import { fieldColon, hasControl, lineEnd, valueEnd, valueStart } from './field-line.js';
import { parseContentLength, requestFraming } from './framing.js';
import type { HeadLimits } from './limits.js';
import { parseRequestLine } from './request-line.js';
import { isValidHost, splitTarget } from './request-target.js';

/**
 * A request head parsed strictly once from the wire. Field names keep their
 * spelling (`names`) beside a lower-cased copy (`lower`), values are trimmed
 * of surrounding whitespace, in the order sent.
 */
export interface RequestHead {
  method: string;
  /** The request-target as sent (RAW_URI). */
  rawTarget: string;
  /** The target in origin-form: what a proxy forwards (`/p?q`, `*`, or host:port for CONNECT). */
  target: string;
  /** Path of the target, still percent-encoded; '' for authority-form and asterisk-form. */
  rawPath: string;
  /** Raw query after '?', '' when none. */
  query: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: 0 | 1;
  names: string[];
  lower: string[];
  values: string[];
  /** Authority of an absolute-form target, else the Host field, '' when neither. */
  host: string;
  /** Declared Content-Length, -1 when none. */
  contentLength: number;
  chunked: boolean;
  /** Both sides may keep the connection after this exchange (HTTP/1.1 default, HTTP/1.0 keep-alive). */
  keepAlive: boolean;
  /** Expect: 100-continue on an HTTP/1.1 request. */
  expectContinue: boolean;
  /** The Upgrade field's value when Connection lists `upgrade`, else ''. */
  upgrade: string;
  /** Lower-cased names Connection lists besides close, keep-alive and upgrade (hop-by-hop for this message); null when none. */
  connectionTokens: string[] | null;
  /** Bytes of the head, final CRLFCRLF included. */
  headBytes: number;
}

/**
 * Parses the complete request head in `buf[start..end)` (`end` just past the
 * CRLFCRLF, as findRequestHeadEnd returns it) strictly per RFC 9112 and the
 * limits. Throws a WireError naming the status on any bad shape.
 */
export function parseRequestHead(buf: Buffer, start: number, end: number, limits: HeadLimits): RequestHead {
  const headBytes = end - start;
  if (headBytes > limits.headBytes) throw wireError('H1_ERR_HEAD_TOO_LARGE', `over ${limits.headBytes} bytes`);
  const head = buf.toString('latin1', start, end);
  // Bare CR and LF are caught line by line (lineEnd); other controls: the request line by its
  // grammar, names as tokens, values by hasControl.
  const n = head.length;
  let eol = lineEnd(head, 0, n);
  if (eol > limits.requestLine) throw wireError('H1_ERR_URI_TOO_LONG', `over ${limits.requestLine} bytes`);
  const line = parseRequestLine(head, 0, eol);
  const { method, minor } = line;
  const parts = splitTarget(line.target, method);

  const names: string[] = [];
  const lower: string[] = [];
  const values: string[] = [];
  let host: string | null = null;
  let contentLength = -1;
  let te: string | null = null;
  let connClose = false;
  let connKeepAlive = false;
  let connUpgrade = false;
  let upgradeValue = '';
  let expectContinue = false;
  let connectionTokens: string[] | null = null;
  let count = 0;
  let pos = eol + 2;
  for (;;) {
    eol = lineEnd(head, pos, n);
    if (eol === pos) break;
    if (++count > limits.fields) throw wireError('H1_ERR_TOO_MANY_FIELDS', `more than ${limits.fields}`);
    const colon = fieldColon(head, pos, eol, limits.fieldLine);
    const name = head.slice(pos, colon);
    const vs = valueStart(head, colon, eol);
    const ve = valueEnd(head, vs, eol);
    if (hasControl(head, vs, ve)) throw wireError('H1_ERR_BAD_LINE_ENDING', 'control byte in a field value');
    const value = head.slice(vs, ve);
    const low = name.toLowerCase();
    names.push(name);
    lower.push(low);
    values.push(value);
    pos = eol + 2;
    switch (low) {
      case 'host':
        if (host !== null) throw wireError('H1_ERR_BAD_HOST', 'more than one Host');
        if (!isValidHost(value)) throw wireError('H1_ERR_BAD_HOST', 'invalid Host');
        host = value;
        break;
      case 'content-length':
        if (contentLength !== -1) throw wireError('H1_ERR_BAD_CONTENT_LENGTH', 'more than one Content-Length');
        contentLength = parseContentLength(value);
        break;
      case 'transfer-encoding':
        te = te === null ? value : `${te},${value}`;
        break;
      case 'connection':
        // The common values cost no split.
        if (value.length === 10 && value.toLowerCase() === 'keep-alive') {
          connKeepAlive = true;
          break;
        }
        if (value.length === 5 && value.toLowerCase() === 'close') {
          connClose = true;
          break;
        }
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
        if (value.toLowerCase() !== '100-continue') throw wireError('H1_ERR_EXPECTATION', JSON.stringify(value.slice(0, 40)));
        expectContinue = true;
        break;
      default:
        break;
    }
  }
  if (minor === 1 && host === null) throw wireError('H1_ERR_BAD_HOST', 'missing Host in HTTP/1.1');
  const framing = requestFraming(contentLength, te, minor);
  return {
    method,
    rawTarget: line.target,
    target: parts.origin,
    rawPath: parts.rawPath,
    query: parts.query,
    minor,
    names,
    lower,
    values,
    host: parts.authority !== '' ? parts.authority : (host ?? ''),
    contentLength: framing.contentLength,
    chunked: framing.chunked,
    keepAlive: minor === 1 ? !connClose : connKeepAlive && !connClose,
    expectContinue: expectContinue && minor === 1,
    upgrade: connUpgrade && upgradeValue !== '' ? upgradeValue : '',
    connectionTokens,
    headBytes,
  };
}
