import { defineErrors, errorClass, type CodeOf } from '@tsgi/errors';
import { describeViolation, type RuleId } from './rules.js';

/**
 * The gateway's error catalogue. Codes are stable (GW_ERR_<AREA>_<WHAT>) and
 * never renamed; callers branch on `code`, never on message text. `status` is
 * what a client gets; a text without placeholders is the status phrase the
 * detail follows ("Content Too Large: body of 9 bytes over the limit of 8").
 */
export const GATEWAY_ERRORS = defineErrors({
  /** An app, middleware or server broke a rule of SPEC.md. */
  GW_ERR_INTERFACE_VIOLATION: { status: 500, text: '%s' },
  /** `serve()` / `toNodeHandler()` options that do not validate (every problem in one message). */
  GW_ERR_OPTIONS_INVALID: { status: 500, text: 'server options' },
  /** Something other than a GatewayError went wrong while reading a request (logged with its stack). */
  GW_ERR_INTERNAL: { status: 500, text: 'Internal Server Error' },
  // Requests the server refuses before or while the app reads them (SRV-4, SRV-6); the connection closes after.
  /** Malformed request line or header fields. */
  GW_ERR_BAD_REQUEST: { status: 400, text: 'Bad Request' },
  /** A request-target node:http let through but no TSGI environ can carry (toNodeHandler). */
  GW_ERR_BAD_TARGET: { status: 400, text: 'Bad Request' },
  /** Host missing, repeated or invalid. */
  GW_ERR_BAD_HOST: { status: 400, text: 'Bad Request' },
  /** The path is not valid percent-encoded UTF-8, or decodes to a NUL. */
  GW_ERR_BAD_PATH: { status: 400, text: 'Bad Request' },
  /** Chunked body framing broken. */
  GW_ERR_BAD_CHUNK: { status: 400, text: 'Bad Request' },
  /** Framing a server and a proxy could read differently (CL with TE, repeated CL, ...). */
  GW_ERR_SMUGGLING: { status: 400, text: 'Bad Request' },
  /** The client went away in the middle of the body. */
  GW_ERR_INPUT_ABORTED: { status: 400, text: 'Bad Request' },
  /** The head did not arrive within `headersTimeoutMs`. */
  GW_ERR_HEADERS_TIMEOUT: { status: 408, text: 'Request Timeout' },
  /** No body bytes within `bodyTimeoutMs`. */
  GW_ERR_BODY_TIMEOUT: { status: 408, text: 'Request Timeout' },
  /** A declared or read body over `limits.body`, or `read()` without a size over its bound. */
  GW_ERR_BODY_TOO_LARGE: { status: 413, text: 'Content Too Large' },
  /** The request line over its limit. */
  GW_ERR_URI_TOO_LONG: { status: 414, text: 'URI Too Long' },
  /** An Expect other than 100-continue. */
  GW_ERR_EXPECTATION: { status: 417, text: 'Expectation Failed' },
  /** A field line, the field count or the whole head over its limit. */
  GW_ERR_HEADERS_TOO_LARGE: { status: 431, text: 'Request Header Fields Too Large' },
  /** A transfer coding other than chunked. */
  GW_ERR_UNSUPPORTED_TE: { status: 501, text: 'Not Implemented' },
  /** An HTTP version other than 1.0 and 1.1. */
  GW_ERR_VERSION: { status: 505, text: 'HTTP Version Not Supported' },
});

export type GatewayErrorCode = CodeOf<typeof GATEWAY_ERRORS>;
/** The codes of requests the server refuses (ProtocolError). */
export type ProtocolErrorCode = Exclude<GatewayErrorCode, 'GW_ERR_INTERFACE_VIOLATION' | 'GW_ERR_OPTIONS_INVALID' | 'GW_ERR_INTERNAL'>;

/** Base of the gateway's errors; `status` is the HTTP status this error maps to when it reaches a client. */
export class GatewayError<Code extends GatewayErrorCode = GatewayErrorCode> extends errorClass(GATEWAY_ERRORS)<Code> {
  /** Every gateway code has a status. */
  declare readonly status: number;
}

/** An app, middleware or server broke a rule of SPEC.md. */
export class InterfaceViolation extends GatewayError<'GW_ERR_INTERFACE_VIOLATION'> {
  readonly rule: RuleId;
  readonly seen: string;
  /** Set by whoever already wrote this violation's log line (the validator), so a server does not log it twice. */
  reported = false;
  constructor(rule: RuleId, seen: string) {
    super('GW_ERR_INTERFACE_VIOLATION', describeViolation(rule, seen));
    this.rule = rule;
    this.seen = seen;
  }
}

/**
 * A request the server refuses before (or while) the app reads it (SRV-4,
 * SRV-6): malformed HTTP, limits, smuggling shapes. `status` (from the
 * catalogue) is what the client gets; the connection is closed after it.
 */
export class ProtocolError<Code extends ProtocolErrorCode = ProtocolErrorCode> extends GatewayError<Code> {}
