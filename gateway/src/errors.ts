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
  constructor(rule: RuleId, seen: string) {
    super('GW_ERR_INTERFACE_VIOLATION', describeViolation(rule, seen), 500);
    this.name = 'InterfaceViolation';
    this.rule = rule;
    this.seen = seen;
  }
}
