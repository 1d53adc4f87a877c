/**
 * The middleware error catalogue. Codes are stable (MW_ERR_<AREA>_<WHAT>) and
 * never renamed; callers and tests branch on `code`, never on message text.
 * Every middleware validates its options once, at construction, and throws
 * one of these naming the middleware and the option.
 */
export class MiddlewareError extends Error {
  readonly code: string;
  /** HTTP status when the error reaches a client; 500 for construction errors. */
  readonly status: number;
  constructor(code: string, message: string, status = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MiddlewareError';
    this.code = code;
    this.status = status;
  }
}

/** An option has the wrong type or value: `staticFiles: maxAge must be a non-negative integer, got -1`. */
export class InvalidOptionError extends MiddlewareError {
  readonly middleware: string;
  readonly option: string;
  constructor(middleware: string, option: string, expected: string, got: unknown, code = 'MW_ERR_OPTION_INVALID') {
    super(code, `${middleware}: ${option} ${expected}, got ${describe(got)}`);
    this.name = 'InvalidOptionError';
    this.middleware = middleware;
    this.option = option;
  }
}

/** An option name the middleware does not know (usually a typo such as `maxage`). */
export class UnknownOptionError extends MiddlewareError {
  readonly middleware: string;
  readonly option: string;
  constructor(middleware: string, option: string, known: readonly string[]) {
    super('MW_ERR_OPTION_UNKNOWN', `${middleware}: unknown option "${option}" (known: ${known.join(', ')})`);
    this.name = 'UnknownOptionError';
    this.middleware = middleware;
    this.option = option;
  }
}

/** Codes thrown by middleware constructors, for documentation and tests. */
export const MW_ERROR_CODES = Object.freeze({
  /** An option has the wrong type or an out-of-range value. */
  OPTION_INVALID: 'MW_ERR_OPTION_INVALID',
  /** An option name is not known to the middleware. */
  OPTION_UNKNOWN: 'MW_ERR_OPTION_UNKNOWN',
  /** staticFiles: `root` does not exist or is not a directory. */
  STATIC_ROOT: 'MW_ERR_STATIC_ROOT',
  /** redirects: a map target that could send clients off-site without being an explicit absolute URL. */
  REDIRECT_TARGET: 'MW_ERR_REDIRECT_TARGET',
  /** cors: `origin: '*'` together with `credentials: true`, which browsers reject. */
  CORS_WILDCARD_CREDENTIALS: 'MW_ERR_CORS_WILDCARD_CREDENTIALS',
  /** requestId: the configured generator returned something that is not a valid id (thrown per request, status 500). */
  REQUEST_ID_GENERATOR: 'MW_ERR_REQUEST_ID_GENERATOR',
  /** dispatcher: a mount prefix that is not `/segment[/segment...]`. */
  DISPATCH_PREFIX: 'MW_ERR_DISPATCH_PREFIX',
});

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value instanceof RegExp) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
