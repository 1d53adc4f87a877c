import { CataloguedError, defineErrors, formatEntry, type CodeOf } from '@tsgi/errors';

/**
 * The proxy's error catalogue. Callers branch on `code`, never on the message;
 * codes are never renamed. `status` is set where the error reaches a client.
 */
export class ProxyError extends CataloguedError<ProxyErrorCode> {
  /** `status` defaults to the catalogue's for `code`. */
  constructor(code: ProxyErrorCode, message: string, status: number | undefined = PX_ERRORS[code].status, options?: ErrorOptions) {
    super(code, message, status, options);
  }
}

/** Client-facing codes with their status and a short reason used in response bodies. */
export const PX_ERRORS = defineErrors({
  PX_ERR_CONFIG: { status: undefined, text: 'invalid configuration' },
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
  PX_ERR_TLS_CERT: { status: undefined, text: 'TLS certificate error' },
  /** Logged only: the client went away before the response completed (nginx's 499). */
  PX_ERR_CLIENT_ABORT: { status: 499, text: 'client closed the connection' },
  /** A reload that would leave a serving upstream group with no endpoint (a name that does not resolve): the running config stays. */
  PX_ERR_RELOAD_REFUSED: { status: undefined, text: 'reload refused' },
  /** A worker could not listen on its address (reported by the worker before it exits with a boot error). */
  PX_ERR_BIND: { status: undefined, text: 'cannot listen' },
});

export type ProxyErrorCode = CodeOf<typeof PX_ERRORS>;

/** Builds the catalogued error for `code`, with an optional detail appended to its text. */
export function proxyError(code: ProxyErrorCode, detail?: string, cause?: unknown): ProxyError {
  const { message } = formatEntry(PX_ERRORS[code], [detail]);
  return new ProxyError(code, message, PX_ERRORS[code].status, cause === undefined ? undefined : { cause });
}

const BIND_REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this host',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  ENOTFOUND: 'host not found',
};

/** A listen that failed, named by the config key its address came from (`listeners.0.address`, `admin.address`): one line, exit 3. */
export function bindError(key: string, address: string, cause: unknown): ProxyError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const reason = (code !== undefined ? BIND_REASONS[code] : undefined) ?? (cause as Error | undefined)?.message ?? String(cause);
  return new ProxyError('PX_ERR_BIND', `cannot listen on ${address} (${key}): ${reason}`, undefined, { cause });
}

/** Thrown by config.ts; the message is the one line printed before exit code 2. */
export class ConfigError extends ProxyError {
  constructor(message: string) {
    super('PX_ERR_CONFIG', message);
  }
}
