import { defineErrors, errorClass, type CodeOf, type ErrorArgs, messageOf, errorCode } from '@tsgi/errors';

/** Client-facing codes with their status and a short reason used in response bodies. */
export const PX_ERRORS = defineErrors({
  /** The message is the one line printed before exit 2. */
  PX_ERR_CONFIG: { status: undefined, text: '%s' },
  PX_ERR_BAD_REQUEST: { status: 400, text: 'malformed request' },
  PX_ERR_SMUGGLING: { status: 400, text: 'ambiguous request framing' },
  PX_ERR_BAD_CHUNK: { status: 400, text: 'bad chunked framing' },
  PX_ERR_REQUEST_TIMEOUT: { status: 408, text: 'request head timeout' },
  PX_ERR_BODY_TOO_LARGE: { status: 413, text: 'request body too large' },
  PX_ERR_URI_TOO_LONG: { status: 414, text: 'request line too long' },
  PX_ERR_EXPECTATION: { status: 417, text: 'unsupported expectation' },
  PX_ERR_HEADERS_TOO_LARGE: { status: 431, text: 'request header fields too large' },
  PX_ERR_NOT_IMPLEMENTED: { status: 501, text: 'not implemented' },
  PX_ERR_VERSION: { status: 505, text: 'HTTP version not supported' },
  PX_ERR_NO_ROUTE: { status: 404, text: 'no route for this host and path' },
  PX_ERR_NO_ENDPOINT: { status: 502, text: 'no upstream endpoint available' },
  PX_ERR_UPSTREAM_CONNECT: { status: 502, text: 'upstream connect error' },
  PX_ERR_UPSTREAM_RESET: { status: 502, text: 'upstream connection reset before response' },
  PX_ERR_UPSTREAM_BAD_RESPONSE: { status: 502, text: 'malformed upstream response' },
  PX_ERR_UPSTREAM_CONNECT_TIMEOUT: { status: 504, text: 'upstream connect timeout' },
  PX_ERR_UPSTREAM_HEADER_TIMEOUT: { status: 504, text: 'upstream header timeout' },
  PX_ERR_UPSTREAM_IDLE_TIMEOUT: { status: 504, text: 'upstream idle timeout' },
  PX_ERR_UPSTREAM_TOTAL_TIMEOUT: { status: 504, text: 'upstream total timeout' },
  PX_ERR_SHUTTING_DOWN: { status: 503, text: 'proxy is shutting down' },
  /** The client sent no request body bytes for `timeouts.clientBody` (nginx client_body_timeout). */
  PX_ERR_BODY_TIMEOUT: { status: 408, text: 'request body timeout' },
  /** The upstream group's `bodyStreams.max` streamed bodies and its queue are taken. */
  PX_ERR_BODY_STREAMS_BUSY: { status: 503, text: 'too many request bodies streaming to this upstream' },
  PX_ERR_FORBIDDEN: { status: 403, text: 'access denied' },
  /** limitReq refusal; the zone's `status` (default 429) is what the client gets. */
  PX_ERR_RATE_LIMITED: { status: 429, text: 'rate limit exceeded' },
  /** limitConn refusal; the zone's `status` (default 429) is what the client gets. */
  PX_ERR_CONN_LIMITED: { status: 429, text: 'too many requests in progress' },
  /** Listener expects PROXY protocol and the header was missing or malformed: the connection is closed. */
  PX_ERR_PROXY_PROTOCOL: { status: 400, text: 'bad PROXY protocol header' },
  /** A certificate or key could not be loaded (boot error, or the reload keeps the old one). */
  PX_ERR_TLS_CERT: { status: undefined, text: 'tls: %s' },
  /** Logged only: the client went away before the response completed (nginx's 499). */
  PX_ERR_CLIENT_ABORT: { status: 499, text: 'client closed the connection' },
  /** A reload that would leave a serving upstream group with no endpoint (a name that does not resolve): the running config stays. */
  PX_ERR_RELOAD_REFUSED: { status: undefined, text: 'upstream "%s" would have no endpoints (%s)' },
  /** A worker could not listen on its address (reported by the worker before it exits with a boot error). */
  PX_ERR_BIND: { status: undefined, text: 'cannot listen on %s (%s): %s' },
});

export type ProxyErrorCode = CodeOf<typeof PX_ERRORS>;

/**
 * The proxy's error: `new ProxyError('PX_ERR_BODY_TOO_LARGE', 'chunked body over 1024')`
 * takes its status and text from the catalogue; the message is `text: detail`.
 * Callers branch on `code`, never on the message; codes are never renamed.
 */
export class ProxyError<Code extends ProxyErrorCode = ProxyErrorCode> extends errorClass(PX_ERRORS)<Code> {
  /** What this error adds to its code's text (`chunked body over 1024`), '' when nothing; answers and logs show it after the text. */
  readonly detail: string;
  constructor(code: Code, ...args: ErrorArgs<typeof PX_ERRORS, Code>) {
    super(code, ...args);
    const text = PX_ERRORS[code].text;
    // A text with placeholders is all detail once filled in (config lines, bind failures).
    this.detail = text.includes('%') ? this.message : typeof args[0] === 'string' ? args[0] : '';
  }
}

const BIND_REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this host',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  ENOTFOUND: 'host not found',
};

/** A listen that failed, named by the config key its address came from (`listeners.0.address`, `admin.address`): one line, exit 3. */
export function bindError(key: string, address: string, cause: unknown): ProxyError<'PX_ERR_BIND'> {
  const code = errorCode(cause);
  const reason = (code !== undefined ? BIND_REASONS[code] : undefined) ?? messageOf(cause);
  return new ProxyError('PX_ERR_BIND', address, key, reason, { cause });
}

/** Thrown by config.ts; the message is the one line printed before exit code 2. */
export class ConfigError extends ProxyError<'PX_ERR_CONFIG'> {
  constructor(message: string) {
    super('PX_ERR_CONFIG', message);
  }
}
