import { defineErrors, errorClass, type CodeOf } from '@tsgi/errors';

/**
 * The wire error catalogue: every way a message can break HTTP/1.1, with the
 * status a server answers and whether the connection must close after it.
 * Codes are stable (H1_ERR_<WHAT>) and never renamed. `area` groups codes so
 * a package can map them onto its own catalogue (GW_ERR_*, PX_ERR_*) without
 * listing every code.
 */
export const WIRE_ERRORS = defineErrors({
  /** The first bytes can never start a request line (TLS on a plain port, binary junk). */
  H1_ERR_NOT_HTTP: { status: 400, close: true, area: 'request', text: 'not an HTTP/1.x request' },
  /** Request line not `method SP target SP HTTP/x.y`, method not a token, version missing. */
  H1_ERR_BAD_REQUEST_LINE: { status: 400, close: true, area: 'request', text: 'malformed request line' },
  /** Request-target in no form valid for the method, fragment, bytes that must be percent-encoded. */
  H1_ERR_BAD_TARGET: { status: 400, close: true, area: 'request', text: 'invalid request-target' },
  /** Path with a broken percent-encoding, not UTF-8 once decoded, or with a decoded NUL (`%00`). */
  H1_ERR_BAD_PATH: { status: 400, close: true, area: 'path', text: 'request path is not valid percent-encoded UTF-8 or holds a NUL' },
  /** A bare CR, a bare LF or another control byte in the head. */
  H1_ERR_BAD_LINE_ENDING: { status: 400, close: true, area: 'request', text: 'bare CR, bare LF or control byte in the head' },
  /** Field line without a colon, name not a token, obsolete line folding, control byte in a value. */
  H1_ERR_BAD_FIELD: { status: 400, close: true, area: 'request', text: 'malformed header field' },
  /** Host missing in HTTP/1.1, repeated, or not a valid authority. */
  H1_ERR_BAD_HOST: { status: 400, close: true, area: 'host', text: 'missing, repeated or invalid Host' },
  /** Content-Length not digits, repeated (equal or not). */
  H1_ERR_BAD_CONTENT_LENGTH: { status: 400, close: true, area: 'framing', text: 'invalid or repeated Content-Length' },
  /** Framing a server and a proxy could read differently (RFC 9112 section 6.1): CL with TE, TE not ending in chunked, TE on HTTP/1.0. */
  H1_ERR_AMBIGUOUS_FRAMING: { status: 400, close: true, area: 'framing', text: 'ambiguous message framing' },
  /** Chunked body not per RFC 9112 section 7.1: sizes, extensions, CRLFs, trailers. */
  H1_ERR_BAD_CHUNK: { status: 400, close: true, area: 'chunk', text: 'bad chunked framing' },
  /** Request line over the limit. */
  H1_ERR_URI_TOO_LONG: { status: 414, close: true, area: 'uri', text: 'request line too long' },
  /** One field line over the limit. */
  H1_ERR_FIELD_TOO_LARGE: { status: 431, close: true, area: 'headers', text: 'header field line too long' },
  /** More fields (head and trailers together) than the limit. */
  H1_ERR_TOO_MANY_FIELDS: { status: 431, close: true, area: 'headers', text: 'too many header fields' },
  /** The whole head (or trailer section) over the limit. */
  H1_ERR_HEAD_TOO_LARGE: { status: 431, close: true, area: 'headers', text: 'request head too large' },
  /** A declared or chunked body over the limit. */
  H1_ERR_BODY_TOO_LARGE: { status: 413, close: true, area: 'body', text: 'request body too large' },
  /** Expect other than 100-continue. */
  H1_ERR_EXPECTATION: { status: 417, close: true, area: 'expect', text: 'only 100-continue is supported' },
  /** A transfer coding other than chunked (which still ends the list). */
  H1_ERR_UNSUPPORTED_TE: { status: 501, close: true, area: 'coding', text: 'unsupported transfer coding (only chunked)' },
  /** HTTP/x.y with a major version other than 1. */
  H1_ERR_VERSION: { status: 505, close: true, area: 'version', text: 'HTTP version not supported (HTTP/1.0 and HTTP/1.1 only)' },
  /** A PROXY protocol v1/v2 header that is malformed or missing where one is required; the connection is closed unanswered, as nginx does. */
  H1_ERR_PROXY_PROTOCOL: { status: 400, close: true, area: 'request', text: 'bad PROXY protocol header' },
  /** An upstream response head or body a proxy could misframe; the client gets 502. */
  H1_ERR_BAD_RESPONSE: { status: 502, close: true, area: 'response', text: 'malformed response' },
});

export type WireErrorCode = CodeOf<typeof WIRE_ERRORS>;
export type WireErrorArea = (typeof WIRE_ERRORS)[WireErrorCode]['area'];

/** A message broke the wire rules. `status` and `close` come from the catalogue; the message is its text plus the detail. */
export class WireError extends errorClass(WIRE_ERRORS)<WireErrorCode> {
  declare readonly status: number;
  readonly close: boolean;
  readonly area: WireErrorArea;
  /** The catalogue text plus what exactly was wrong, short and safe to send to a client. */
  readonly detail: string;
  constructor(code: WireErrorCode, detail?: string) {
    super(code, detail);
    const entry = WIRE_ERRORS[code];
    this.close = entry.close;
    this.area = entry.area;
    this.detail = this.message;
  }
}

/** Shorthand used by the parsers. */
export function wireError(code: WireErrorCode, detail?: string): WireError {
  return new WireError(code, detail);
}
