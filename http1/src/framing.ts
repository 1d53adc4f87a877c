import { isToken } from './chars.js';
import { wireError } from './errors.js';

/** How a request body is delimited. */
export interface RequestFraming {
  /** Declared Content-Length, -1 when none. */
  contentLength: number;
  chunked: boolean;
}

const MAX_LENGTH_DIGITS = 15;

/** Parses one Content-Length value strictly: digits only (no sign, no list, no spaces inside). */
export function parseContentLength(value: string): number {
  const n = value.length;
  if (n === 0 || n > MAX_LENGTH_DIGITS) throw wireError('H1_ERR_BAD_CONTENT_LENGTH', 'not 1 to 15 digits');
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw wireError('H1_ERR_BAD_CONTENT_LENGTH', 'not digits');
  }
  return Number(value);
}

/**
 * The body framing of a request per RFC 9112 section 6 from its
 * Content-Length (-1: none) and its Transfer-Encoding fields joined with ','
 * (null: no such field, '' for empty ones). Refuses every shape a proxy and
 * a server could frame differently: CL with TE (400), TE on HTTP/1.0 (400),
 * an empty TE list or list element (400), a coding with parameters (400),
 * chunked before the end or twice (400); any other
 * coding is 501 (so a TE not ending in chunked is always refused).
 */
export function requestFraming(contentLength: number, te: string | null, minor: number): RequestFraming {
  if (te === null) return { contentLength, chunked: false };
  if (contentLength !== -1) throw wireError('H1_ERR_AMBIGUOUS_FRAMING', 'both Content-Length and Transfer-Encoding');
  if (minor === 0) throw wireError('H1_ERR_AMBIGUOUS_FRAMING', 'Transfer-Encoding in an HTTP/1.0 request');
  // The common case costs one comparison.
  if (te.length === 7 && te.toLowerCase() === 'chunked') return { contentLength: -1, chunked: true };
  const codings: string[] = [];
  for (const raw of te.split(',')) {
    const name = raw.trim().toLowerCase();
    // RFC 9110 section 5.6.1 lets a recipient skip empty list elements, and RFC 9112 section 7.1
    // says parameters on chunked SHOULD be an error: both are refused (node answers 400 as well),
    // so a proxy that reads `chunked,` or `chunked;q=1` differently can never be handed a body.
    if (name === '') throw wireError('H1_ERR_AMBIGUOUS_FRAMING', 'empty Transfer-Encoding or empty list element');
    if (!isToken(name, 0, name.length)) throw wireError('H1_ERR_AMBIGUOUS_FRAMING', 'malformed Transfer-Encoding (parameters are refused)');
    codings.push(name);
  }
  const last = codings.length - 1;
  let unknown = '';
  for (const [i, coding] of codings.entries()) {
    if (coding === 'chunked') {
      if (i !== last) throw wireError('H1_ERR_AMBIGUOUS_FRAMING', 'chunked is not the final coding, or applied twice');
    } else if (unknown === '') {
      unknown = coding;
    }
  }
  // RFC 9112 section 6.1: a coding the server does not understand is 501 (SPEC.md SRV-4), whether or not chunked ends the list.
  if (unknown !== '') throw wireError('H1_ERR_UNSUPPORTED_TE', JSON.stringify(unknown.slice(0, 40)));
  return { contentLength: -1, chunked: true };
}
