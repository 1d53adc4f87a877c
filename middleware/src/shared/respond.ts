import type { ResponseBody, ResponseHeaders, StartResponse } from '@tsgi/gateway';
import { statusLine } from '@tsgi/http1';

/** The numeric code of a `'NNN Reason'` status string. */
export function statusCode(status: string): number {
  return (status.charCodeAt(0) - 48) * 100 + (status.charCodeAt(1) - 48) * 10 + (status.charCodeAt(2) - 48);
}

const EMPTY: readonly Uint8Array[] = Object.freeze([]) as readonly Uint8Array[];

/**
 * Answers a request directly (redirects, 304, 404, preflight...): calls
 * startResponse with a Content-Length and returns the body as an array, so the
 * server frames it without chunking. Bodies are never sent for 204/304 (RESP-10).
 */
export function respond(
  startResponse: StartResponse,
  code: number,
  headers: ResponseHeaders,
  body?: string | Uint8Array,
): ResponseBody {
  const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (code === 204 || code === 304) {
    startResponse(statusLine(code), headers);
    return EMPTY as Uint8Array[];
  }
  const len = bytes ? bytes.length : 0;
  startResponse(statusLine(code), [...headers, ['Content-Length', String(len)]]);
  return len === 0 ? (EMPTY as Uint8Array[]) : [bytes as Uint8Array];
}

/** A plain-text error answer (`404 Not Found\n`), with nosniff so it is never rendered as HTML. */
export function respondText(startResponse: StartResponse, code: number, extra: ResponseHeaders = []): ResponseBody {
  return respond(
    startResponse,
    code,
    [['Content-Type', 'text/plain; charset=utf-8'], ['X-Content-Type-Options', 'nosniff'], ...extra],
    `${statusLine(code)}\n`,
  );
}

/**
 * Wraps a startResponse so every header list (including one re-sent with
 * excInfo, RESP-5) goes through `edit` first. The returned write is the
 * server's own, so imperative writes keep their backpressure.
 */
export function mapHeaders(
  startResponse: StartResponse,
  edit: (status: string, headers: ResponseHeaders) => ResponseHeaders,
): StartResponse {
  return (status, headers, excInfo) =>
    excInfo === undefined ? startResponse(status, edit(status, headers)) : startResponse(status, edit(status, headers), excInfo);
}
