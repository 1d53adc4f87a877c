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
