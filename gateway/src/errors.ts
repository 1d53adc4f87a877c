import { describeViolation, type RuleId } from './rules.js';

/**
 * The gateway's error catalogue. Codes are stable (GW_ERR_<AREA>_<WHAT>) and
 * never renamed; callers branch on `code`, never on message text.
 */
export class GatewayError extends Error {
  readonly code: string;
  /** HTTP status this error maps to when it reaches a client. */
  readonly status: number;
  constructor(code: string, message: string, status = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.status = status;
  }
}

/** An app, middleware or server broke a rule of SPEC.md. */
export class InterfaceViolation extends GatewayError {
  readonly rule: RuleId;
  readonly seen: string;
  /** Set by whoever already wrote this violation's log line (the validator), so a server does not log it twice. */
  reported = false;
  constructor(rule: RuleId, seen: string) {
    super('GW_ERR_INTERFACE_VIOLATION', describeViolation(rule, seen), 500);
    this.name = 'InterfaceViolation';
    this.rule = rule;
    this.seen = seen;
  }
}

/**
 * A request the server refuses before (or while) the app reads it (SRV-4,
 * SRV-6): malformed HTTP, limits, smuggling shapes. `status` is what the
 * client gets; the connection is closed after it. Codes:
 * GW_ERR_BAD_REQUEST (400), GW_ERR_BAD_HOST (400), GW_ERR_BAD_PATH (400),
 * GW_ERR_BAD_CHUNK (400), GW_ERR_SMUGGLING (400), GW_ERR_INPUT_ABORTED (400),
 * GW_ERR_HEADERS_TIMEOUT (408), GW_ERR_BODY_TOO_LARGE (413), GW_ERR_URI_TOO_LONG (414),
 * GW_ERR_BODY_TIMEOUT (408), GW_ERR_EXPECTATION (417), GW_ERR_HEADERS_TOO_LARGE (431), GW_ERR_UNSUPPORTED_TE (501),
 * GW_ERR_VERSION (505).
 */
export class ProtocolError extends GatewayError {
  constructor(code: string, message: string, status: number) {
    super(code, message, status);
    this.name = 'ProtocolError';
  }
}
