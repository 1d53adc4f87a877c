import { readFileSync } from 'node:fs';
import { reasonPhrase, serializeErrorAnswer } from '@tsgi/http1';
import { messageOf, errorCode } from '@tsgi/errors';
import { PX_ERRORS, ConfigError, type ProxyErrorCode } from '../errors.js';

/** A complete answer the proxy makes itself (errors, edge refusals): small, plain text. */
export interface LocalAnswer {
  status: number;
  reason: string;
  /** Content-Type of the body (plain text, or an `errorPages` entry's). */
  type: string;
  /** Extra field lines (`x-proxy-error`, `retry-after`, ...), `name: value\r\n` each. */
  lines: string;
  body: string;
  /** The request was HEAD: send the head only. */
  head: boolean;
}

/** One `errorPages` entry as configured: an inline body or a file, with its content type. */
export interface ErrorPageConfig {
  body?: string | undefined;
  file?: string | undefined;
  type: string;
}

const PLAIN = 'text/plain; charset=utf-8';

/**
 * Statuses whose cause is on the proxy's side (upstream errors, timeouts, shutdown, rate limits): their
 * default body is only the status line's words, as nginx's, so nothing internal reaches the client.
 * 501 and 505 are about the request itself and say what in it is unsupported.
 */
function hidesDetail(status: number): boolean {
  return status === 500 || status === 502 || status === 503 || status === 504 || status === 429;
}

/**
 * The one place that builds the proxy's own answers (errors and edge refusals). By default 5xx and 429 say
 * only `502 Bad Gateway`; the catalogue code and the detail (`upstream connect error (ECONNREFUSED)`) go to the
 * access record and, with `debug: true`, to the body and an `x-proxy-error` header. Client errors (4xx other
 * than 429) name what was wrong with the request and carry `x-proxy-error` as before. `errorPages` (nginx's
 * `error_page`) replace the body of a status; files are read once here, when the config is applied.
 */
export class ErrorAnswers {
  private readonly pages = new Map<number, { body: string; type: string }>();

  /** `key` names the config key in errors (`errorPages`, `routes.0.errorPages`). Throws ConfigError for a file it cannot read. */
  constructor(
    readonly debug: boolean,
    pages: Readonly<Record<string, ErrorPageConfig>>,
    key = 'errorPages',
  ) {
    for (const [status, page] of Object.entries(pages)) {
      let body = page.body ?? '';
      if (page.file !== undefined) {
        try {
          body = readFileSync(page.file, 'utf8');
        } catch (err) {
          throw new ConfigError(`config: ${key}.${status}.file cannot be read: ${page.file} (${errorCode(err) ?? messageOf(err)})`);
        }
      }
      this.pages.set(Number(status), { body, type: page.type });
    }
  }

  /** The answer for a catalogued error (502/504 from the upstream leg, 503 shutting down, 4xx refusals). */
  forCode(code: ProxyErrorCode, detail: string | null, head: boolean): LocalAnswer {
    const entry = PX_ERRORS[code];
    const status = entry.status ?? 500;
    return this.build(status, code, `${entry.text}${detail ? ` (${detail})` : ''}`, '', head);
  }

  /** A refusal the edge answers itself: 403 for access, the zone's status (429 by default) with Retry-After for limits, 431/413 for per-route limits. */
  forEdge(status: number, code: ProxyErrorCode, detail: string, retryAfterS: number | null, head: boolean, requestId: string | null): LocalAnswer {
    const lines = `${retryAfterS !== null ? `retry-after: ${retryAfterS}\r\n` : ''}${requestId !== null ? `x-request-id: ${requestId}\r\n` : ''}`;
    return this.build(status, code, detail, lines, head);
  }

  private build(status: number, code: ProxyErrorCode, detail: string, lines: string, head: boolean): LocalAnswer {
    const reason = reasonPhrase(status);
    const hide = hidesDetail(status) && !this.debug;
    const codeLine = hide ? '' : `x-proxy-error: ${code}\r\n`;
    const page = this.pages.get(status);
    if (page !== undefined) return { status, reason, type: page.type, lines: `${codeLine}${lines}`, body: page.body, head };
    return { status, reason, type: PLAIN, lines: `${codeLine}${lines}`, body: hide ? `${status} ${reason}\n` : `${status} ${reason}: ${detail}\n`, head };
  }
}

/** The answer as HTTP/1.1 bytes. */
export function serializeAnswer(a: LocalAnswer, close: boolean): Buffer {
  return serializeErrorAnswer({ status: a.status, reason: a.reason, contentType: a.type, body: a.body, lines: a.lines, close, head: a.head });
}
