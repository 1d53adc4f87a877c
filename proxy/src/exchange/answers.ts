import { STATUS_CODES } from 'node:http';
import { PX_ERRORS, type ProxyErrorCode } from '../errors.js';
import type { LocalAnswer } from '../client/client-side.js';

/** A plain-text error answer whose body names what went wrong; `x-proxy-error` carries the stable code. */
export function errorAnswer(code: ProxyErrorCode, detail: string | null, head: boolean): LocalAnswer {
  const entry = PX_ERRORS[code];
  const status = entry.status ?? 500;
  const reason = STATUS_CODES[status] ?? 'Error';
  return { status, reason, lines: `x-proxy-error: ${code}\r\n`, body: `${status} ${reason}: ${entry.text}${detail ? ` (${detail})` : ''}\n`, head };
}

/**
 * A refusal the edge answers itself: 403 for access, the zone's status
 * (429 by default) with Retry-After for limits, 431/413 for per-route
 * limits. The body names the reason.
 */
export function edgeAnswer(status: number, code: ProxyErrorCode, detail: string, retryAfterS: number | null, head: boolean, requestId: string | null): LocalAnswer {
  const reason = STATUS_CODES[status] ?? 'Error';
  const lines = `x-proxy-error: ${code}\r\n${retryAfterS !== null ? `retry-after: ${retryAfterS}\r\n` : ''}${requestId !== null ? `x-request-id: ${requestId}\r\n` : ''}`;
  return { status, reason, lines, body: `${status} ${reason}: ${detail}\n`, head };
}

/** The answer as HTTP/1.1 bytes (latin1 string). */
export function serializeAnswer(a: LocalAnswer, close: boolean): string {
  return (
    `HTTP/1.1 ${a.status} ${a.reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(a.body)}\r\n` +
    `${a.lines}${close ? 'connection: close\r\n' : ''}\r\n${a.head ? '' : a.body}`
  );
}
