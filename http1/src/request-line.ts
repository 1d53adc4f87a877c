import { TCHAR } from './chars.js';
import { wireError } from './errors.js';

/** The three parts of a request line. */
export interface RequestLine {
  method: string;
  /** The request-target as sent. */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 (and the HTTP/1.x above it, RFC 9110 section 2.5). */
  minor: 0 | 1;
}

/**
 * Parses `head[pos..eol)`, a request line without its CRLF, strictly: one SP
 * between method (a token), target (visible ASCII only) and `HTTP/d.d`.
 * Another major version is 505; a missing or malformed version (`GET /`,
 * HTTP/0.9 style) is 400.
 */
export function parseRequestLine(head: string, pos: number, eol: number): RequestLine {
  const sp1 = head.indexOf(' ', pos);
  if (sp1 === -1 || sp1 >= eol || sp1 === pos) throw wireError('H1_ERR_BAD_REQUEST_LINE', 'no method and target');
  for (let i = pos; i < sp1; i++) {
    const c = head.charCodeAt(i);
    if (TCHAR[c] !== 1) throw wireError('H1_ERR_BAD_REQUEST_LINE', 'method is not a token');
  }
  const sp2 = head.indexOf(' ', sp1 + 1);
  if (sp2 === -1 || sp2 >= eol) throw wireError('H1_ERR_BAD_REQUEST_LINE', 'no HTTP version');
  if (sp2 === sp1 + 1) throw wireError('H1_ERR_BAD_REQUEST_LINE', 'empty request-target');
  for (let i = sp1 + 1; i < sp2; i++) {
    const c = head.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) throw wireError('H1_ERR_BAD_TARGET', 'byte that must be percent-encoded');
  }
  // HTTP-version = "HTTP/" DIGIT "." DIGIT, exactly 8 bytes.
  if (
    eol - sp2 !== 9 ||
    !head.startsWith('HTTP/', sp2 + 1) ||
    head.charCodeAt(sp2 + 7) !== 0x2e ||
    !isDigit(head.charCodeAt(sp2 + 6)) ||
    !isDigit(head.charCodeAt(sp2 + 8))
  ) {
    throw wireError('H1_ERR_BAD_REQUEST_LINE', 'malformed HTTP version');
  }
  if (head.charCodeAt(sp2 + 6) !== 0x31) throw wireError('H1_ERR_VERSION');
  return {
    method: head.slice(pos, sp1),
    target: head.slice(sp1 + 1, sp2),
    minor: head.charCodeAt(sp2 + 8) === 0x30 ? 0 : 1,
  };
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
