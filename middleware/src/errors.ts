import { defineErrors, errorClass, type CodeOf } from '@tsgi/errors';

/**
 * The middleware error catalogue. Codes are stable (MW_ERR_<AREA>_<WHAT>) and
 * never renamed; callers and tests branch on `code`, never on message text.
 * Every middleware validates its options once, at construction, and throws
 * one of these naming the middleware (the first argument) and the option;
 * `status` is 500 if one ever reaches a client.
 */
export const MIDDLEWARE_ERRORS = defineErrors({
  /** An option has the wrong type or an out-of-range value. */
  MW_ERR_OPTION_INVALID: { status: 500, text: '%s: %s %s, got %s' },
  /** An option name is not known to the middleware. */
  MW_ERR_OPTION_UNKNOWN: { status: 500, text: '%s: unknown option "%s" (known: %s)' },
  /** staticFiles: `root` does not exist or is not a directory. */
  MW_ERR_STATIC_ROOT: { status: 500, text: '%s: root must be an existing directory, got %j' },
  /** redirects: a map target that could send clients off-site without being an explicit absolute URL. */
  MW_ERR_REDIRECT_TARGET: { status: 500, text: "%s: map[%j] must be a path starting with a single '/' or an absolute http(s) URL, got %j" },
  /** cors: `origin: '*'` together with `credentials: true`, which browsers reject. */
  MW_ERR_CORS_WILDCARD_CREDENTIALS: { status: 500, text: "%s: origin '*' cannot be combined with credentials: true (browsers reject it); list the origins or use origin: true" },
  /** requestId: the configured generator returned something that is not a valid id (thrown per request). */
  MW_ERR_REQUEST_ID_GENERATOR: { status: 500, text: '%s: generator returned an invalid id %j' },
  /** dispatcher: a mount prefix that is not `/segment[/segment...]`. */
  MW_ERR_DISPATCH_PREFIX: { status: 500, text: '%s: mount prefix must look like "/a" or "/a/b" (no trailing slash), got %j' },
});

export type MiddlewareErrorCode = CodeOf<typeof MIDDLEWARE_ERRORS>;

/** Base of the middleware errors; `status` is what a client would see (500: they are setup errors). */
export class MiddlewareError<Code extends MiddlewareErrorCode = MiddlewareErrorCode> extends errorClass(MIDDLEWARE_ERRORS)<Code> {
  declare readonly status: number;
}

/** An option has the wrong type or value: `staticFiles: maxAge must be a non-negative integer, got -1`. */
export class InvalidOptionError extends MiddlewareError<'MW_ERR_OPTION_INVALID'> {
  readonly middleware: string;
  readonly option: string;
  constructor(middleware: string, option: string, expected: string, got: unknown) {
    super('MW_ERR_OPTION_INVALID', middleware, option, expected, describe(got));
    this.middleware = middleware;
    this.option = option;
  }
}

/** An option name the middleware does not know (usually a typo such as `maxage`). */
export class UnknownOptionError extends MiddlewareError<'MW_ERR_OPTION_UNKNOWN'> {
  readonly middleware: string;
  readonly option: string;
  constructor(middleware: string, option: string, known: readonly string[]) {
    super('MW_ERR_OPTION_UNKNOWN', middleware, option, known.join(', '));
    this.middleware = middleware;
    this.option = option;
  }
}

/** Codes thrown by middleware constructors, by short name, for documentation and tests. */
export const MW_ERROR_CODES = Object.freeze({
  OPTION_INVALID: 'MW_ERR_OPTION_INVALID',
  OPTION_UNKNOWN: 'MW_ERR_OPTION_UNKNOWN',
  STATIC_ROOT: 'MW_ERR_STATIC_ROOT',
  REDIRECT_TARGET: 'MW_ERR_REDIRECT_TARGET',
  CORS_WILDCARD_CREDENTIALS: 'MW_ERR_CORS_WILDCARD_CREDENTIALS',
  REQUEST_ID_GENERATOR: 'MW_ERR_REQUEST_ID_GENERATOR',
  DISPATCH_PREFIX: 'MW_ERR_DISPATCH_PREFIX',
} as const satisfies Record<string, MiddlewareErrorCode>);

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
