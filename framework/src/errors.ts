/**
 * The framework's error catalogue. Codes are stable (`FW_ERR_<AREA>_<WHAT>`)
 * and never renamed; callers branch on `code`, never on message text.
 * Errors raised at registration time (bad rules, unknown hooks) are
 * programmer errors; `status` is what a client would see if one escaped.
 */
export class FrameworkError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FrameworkError';
    this.code = code;
    this.status = status;
  }
}

/** A URL rule could not be parsed or registered. */
export class RouteError extends FrameworkError {
  readonly rule: string;
  constructor(code: RouteErrorCode, rule: string, message: string) {
    super(code, `route ${JSON.stringify(rule)}: ${message}`);
    this.name = 'RouteError';
    this.rule = rule;
  }
}

export type RouteErrorCode =
  /** The rule string is malformed (no leading slash, unbalanced `<`, bad variable name). */
  | 'FW_ERR_ROUTE_SYNTAX'
  /** `<name:var>` names a converter that was never registered. */
  | 'FW_ERR_ROUTE_CONVERTER_UNKNOWN'
  /** The converter's arguments do not parse or are out of range. */
  | 'FW_ERR_ROUTE_CONVERTER_ARGS'
  /** The same variable name appears twice in one rule. */
  | 'FW_ERR_ROUTE_VARIABLE_DUPLICATE'
  /** The same rule and method are already registered. */
  | 'FW_ERR_ROUTE_DUPLICATE'
  /** An endpoint name is already bound to a different handler. */
  | 'FW_ERR_ROUTE_ENDPOINT_CONFLICT'
  /** A method name is not an HTTP token. */
  | 'FW_ERR_ROUTE_METHOD';

/** `urlFor` found no rule for the endpoint and values it was given. */
export class BuildError extends FrameworkError {
  readonly endpoint: string;
  constructor(endpoint: string, message: string) {
    super('FW_ERR_BUILD', `urlFor(${JSON.stringify(endpoint)}): ${message}`);
    this.name = 'BuildError';
    this.endpoint = endpoint;
  }
}

/** Registration of a hook, an error handler or a blueprint was wrong. */
export class SetupError extends FrameworkError {
  constructor(code: 'FW_ERR_HOOK_UNKNOWN' | 'FW_ERR_SETUP' | 'FW_ERR_SESSION_NO_SECRET' | 'FW_ERR_TEMPLATES', message: string, options?: { cause?: unknown }) {
    super(code, message, 500, options);
    this.name = 'SetupError';
  }
}

/** A handler returned something the framework cannot turn into a response. */
export class ResponseTypeError extends FrameworkError {
  constructor(seen: string) {
    super('FW_ERR_RESPONSE_TYPE', `handler returned ${seen}; expected a string, Uint8Array, object, Response, [body, status, headers] or an async iterable`);
    this.name = 'ResponseTypeError';
  }
}
