import { TCHAR } from './chars.js';
import { wireError } from './errors.js';

/** Controls other than CR and LF; bare CR and LF are found line by line. */
// eslint-disable-next-line no-control-regex -- finding controls in a head is what this pattern is for
export const HEAD_CTL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * Checks the field line `head[pos..eol)` (no CRLF, no bare CR: the caller
 * checked) up to its value: length limit, no obsolete folding, a colon, a
 * token name right before it. Returns the colon's index.
 */
export function fieldColon(head: string, pos: number, eol: number, maxLine: number): number {
  // Counted with its CRLF, as gunicorn's limit_request_field_size.
  if (eol - pos + 2 > maxLine) throw wireError('H1_ERR_FIELD_TOO_LARGE', `over ${maxLine} bytes`);
  const c0 = head.charCodeAt(pos);
  if (c0 === 0x20 || c0 === 0x09) throw wireError('H1_ERR_BAD_FIELD', 'obsolete line folding');
  const colon = head.indexOf(':', pos);
  if (colon === -1 || colon >= eol) throw wireError('H1_ERR_BAD_FIELD', 'field line without a colon');
  if (colon === pos) throw wireError('H1_ERR_BAD_FIELD', 'empty field name');
  for (let i = pos; i < colon; i++) {
    if (TCHAR[head.charCodeAt(i)] !== 1) throw wireError('H1_ERR_BAD_FIELD', 'field name is not a token');
  }
  return colon;
}

/**
 * True when `s[from..to)` holds a control byte other than HTAB (or DEL).
 * A loop, not a regex: on the short values of a head it is several times
 * cheaper, and it runs once per field on the hot path.
 */
export function hasControl(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** Start of the value after `colon`, leading SP/HTAB skipped. */
export function valueStart(head: string, colon: number, eol: number): number {
  let s = colon + 1;
  while (s < eol) {
    const c = head.charCodeAt(s);
    if (c !== 0x20 && c !== 0x09) break;
    s++;
  }
  return s;
}

/** End of the value before `eol`, trailing SP/HTAB dropped. */
export function valueEnd(head: string, start: number, eol: number): number {
  let e = eol;
  while (e > start) {
    const c = head.charCodeAt(e - 1);
    if (c !== 0x20 && c !== 0x09) break;
    e--;
  }
  return e;
}

/**
 * Finds the end of the line starting at `pos`: the index of its CR, with the
 * LF after it. Throws on a bare LF or a CR inside the line. -1 when the line
 * is not complete in `head[..limit)`.
 */
export function lineEnd(head: string, pos: number, limit: number): number {
  const lf = head.indexOf('\n', pos);
  const cr = head.indexOf('\r', pos);
  if (lf === -1 || lf >= limit) {
    // Incomplete: a CR may only be the very last byte seen (its LF still on the way).
    if (cr !== -1 && cr < limit - 1) throw wireError('H1_ERR_BAD_LINE_ENDING', 'bare CR');
    return -1;
  }
  if (cr !== lf - 1) throw wireError('H1_ERR_BAD_LINE_ENDING', cr === -1 || cr > lf ? 'bare LF' : 'bare CR');
  return cr;
}
