import { HOP_BY_HOP_FIELDS, TOKEN_RE } from '@tsgi/http1';
import { InterfaceViolation } from '../errors.js';

/** Anything outside HTAB / SP / VCHAR / obs-text, notably CR, LF and NUL (RESP-3). */
const BAD_VALUE_RE = /[^\t\x20-\x7e\x80-\xff]/;
const DIGITS_RE = /^[0-9]{1,15}$/;

/** Lengths of the names that need a lower-cased look (hop-by-hop, Content-Length), to skip toLowerCase for the rest. */
const SPECIAL_LENGTHS = new Set([...HOP_BY_HOP_FIELDS, 'content-length'].map((name) => name.length));

/** What the server needs from an app's headers once they passed the checks. */
export interface HeaderFacts {
  /** The app's Content-Length, or -1 when it set none. */
  contentLength: number;
}

function show(value: unknown): string {
  try {
    const s = typeof value === 'string' ? value : JSON.stringify(value);
    return (s ?? String(value)).slice(0, 120);
  } catch {
    return String(value).slice(0, 120);
  }
}

/**
 * Checks the headers an app passed to startResponse (RESP-2, RESP-3, RESP-4,
 * RESP-8's Content-Length form). Throws InterfaceViolation naming the rule.
 */
export function checkResponseHeaders(headers: unknown, facts: HeaderFacts): void {
  facts.contentLength = -1;
  if (!Array.isArray(headers)) throw new InterfaceViolation('RESP-2', `headers is ${show(headers)}, not an array`);
  for (let i = 0; i < headers.length; i++) {
    const pair: unknown = headers[i];
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new InterfaceViolation('RESP-2', `header #${i} is ${show(pair)}, not a [name, value] pair of strings`);
    }
    const name = pair[0] as string;
    const value = pair[1] as string;
    if (!TOKEN_RE.test(name)) throw new InterfaceViolation('RESP-3', `header name ${JSON.stringify(name)} is not a token`);
    if (BAD_VALUE_RE.test(value)) {
      throw new InterfaceViolation('RESP-3', `header ${name} value ${JSON.stringify(value.slice(0, 80))} has a control character`);
    }
    if (SPECIAL_LENGTHS.has(name.length)) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP_FIELDS.has(lower)) throw new InterfaceViolation('RESP-4', `hop-by-hop header ${name}`);
      if (lower === 'content-length') {
        if (!DIGITS_RE.test(value)) throw new InterfaceViolation('RESP-8', `Content-Length ${JSON.stringify(value)} is not a decimal number`);
        if (facts.contentLength !== -1) throw new InterfaceViolation('RESP-8', 'Content-Length set twice');
        facts.contentLength = Number(value);
      }
    }
  }
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'object'}`;
  return typeof value;
}
