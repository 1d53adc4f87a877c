import { PROXY_HOP_BY_HOP_FIELDS, TOKEN_RE as TOKEN, statusCodeOf } from '@tsgi/http1';
import { show, type Finding } from './check-environ.js';

/** What Node's http module (and RFC 9110 field-value) accepts: HTAB, SP..~, obs-text. */
const BAD_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/** What the validator needs to know about a response once its status and headers passed. */
export interface ResponseHead {
  code: number;
  /** The declared Content-Length, or -1. */
  contentLength: number;
}

/** Checks a status string against RESP-1. */
export function checkStatus(status: unknown): Finding | { code: number } {
  if (typeof status !== 'string') return { rule: 'RESP-1', seen: `status is ${show(status)}` };
  const code = statusCodeOf(status);
  if (code === 0) return { rule: 'RESP-1', seen: `status ${show(status)}` };
  return { code };
}

/** Checks the headers list against RESP-2, RESP-3, RESP-4, RESP-8 (Content-Length form) and RESP-10 (204 with a length). */
export function checkHeaders(headers: unknown, code: number): Finding | { contentLength: number } {
  if (!Array.isArray(headers)) return { rule: 'RESP-2', seen: `headers is ${show(headers)}` };
  let contentLength = -1;
  for (let i = 0; i < headers.length; i++) {
    const pair: unknown = headers[i];
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      return { rule: 'RESP-2', seen: `headers[${i}] is ${Array.isArray(pair) ? `[${pair.map(show).join(', ')}]` : show(pair)}` };
    }
    const [name, value] = pair as [string, string];
    if (!TOKEN.test(name)) return { rule: 'RESP-3', seen: `header name ${show(name)}` };
    if (BAD_VALUE_CHAR.test(value)) return { rule: 'RESP-3', seen: `header ${name} value ${show(value)} has a control or non-latin1 character` };
    const lower = name.toLowerCase();
    // Connection-scoped headers the server owns, Proxy-Connection too: apps must not send them (RESP-4).
    if (PROXY_HOP_BY_HOP_FIELDS.has(lower)) return { rule: 'RESP-4', seen: `header ${name}: ${show(value)}` };
    if (lower === 'content-length') {
      const trimmed = value.trim();
      if (!/^\d{1,15}$/.test(trimmed)) return { rule: 'RESP-8', seen: `Content-Length ${show(value)} is not a decimal length` };
      const n = Number(trimmed);
      if (contentLength !== -1 && contentLength !== n) {
        return { rule: 'RESP-8', seen: `two Content-Length headers, ${contentLength} and ${n}` };
      }
      contentLength = n;
    }
  }
  if (code === 204 && contentLength > 0) return { rule: 'RESP-10', seen: `204 with Content-Length ${contentLength}` };
  return { contentLength };
}

export function isFinding(value: object): value is Finding {
  return 'rule' in value;
}
