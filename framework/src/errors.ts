import { defineErrors, errorClass, type CodeOf } from '@tsgi/errors';

/**
 * The framework's error catalogue. Codes are stable (`FW_ERR_<AREA>_<WHAT>`)
 * and never renamed; callers branch on `code`, never on message text.
 * Errors raised at registration time (bad rules, unknown hooks) are
 * programmer errors; `status` is what a client would see if one escaped.
 * (Flask's HTTPException family, whose `code` is the numeric status as in
 * Werkzeug, lives in http-exceptions.ts.)
 */
export const FRAMEWORK_ERRORS = defineErrors({
  /** The rule string is malformed (no leading slash, unbalanced `<`, bad variable name). */
  FW_ERR_ROUTE_SYNTAX: { status: 500, text: 'route %j: %s' },
  /** `<name:var>` names a converter that was never registered. */
  FW_ERR_ROUTE_CONVERTER_UNKNOWN: { status: 500, text: 'route %j: %s' },
  /** The converter's arguments do not parse or are out of range. */
  FW_ERR_ROUTE_CONVERTER_ARGS: { status: 500, text: 'route %j: %s' },
  /** The same variable name appears twice in one rule. */
  FW_ERR_ROUTE_VARIABLE_DUPLICATE: { status: 500, text: 'route %j: %s' },
  /** The same rule and method are already registered. */
  FW_ERR_ROUTE_DUPLICATE: { status: 500, text: 'route %j: %s' },
  /** An endpoint name is already bound to a different handler. */
  FW_ERR_ROUTE_ENDPOINT_CONFLICT: { status: 500, text: 'route %j: %s' },
  /** A method name is not an HTTP token. */
  FW_ERR_ROUTE_METHOD: { status: 500, text: 'route %j: %s' },
  /** `urlFor` found no rule for the endpoint and values it was given. */
  FW_ERR_BUILD: { status: 500, text: 'urlFor(%j): %s' },
  /** A hook name outside the fixed list. */
  FW_ERR_HOOK_UNKNOWN: { status: 500, text: '%s' },
  /** Registration of a hook, an error handler, a blueprint or an option was wrong. */
  FW_ERR_SETUP: { status: 500, text: '%s' },
  /** The session was used without a `secretKey`. */
  FW_ERR_SESSION_NO_SECRET: { status: 500, text: '%s' },
  /** A template does not load or does not render. */
  FW_ERR_TEMPLATES: { status: 500, text: '%s' },
  /** The `tsgi` command was given a bad flag, value or app spec (one line, exit 2). */
  FW_ERR_CLI_USAGE: { text: '%s' },
  /** The `tsgi` command could not import the app module or find its export (exit 4 / 2). */
  FW_ERR_CLI_APP_LOAD: { text: '%s' },
  /** A handler returned something the framework cannot turn into a response. */
  FW_ERR_RESPONSE_TYPE: {
    status: 500,
    text: 'handler returned %s; expected a string, Uint8Array, object, Response, [body, status, headers] or an async iterable',
  },
  /** `abort()` with a status Werkzeug has no exception for (its LookupError): an uncaught error, so a 500. */
  FW_ERR_ABORT_CODE: { status: 500, text: 'no exception for %s' },
});

export type FrameworkErrorCode = CodeOf<typeof FRAMEWORK_ERRORS>;
export type RouteErrorCode = Extract<FrameworkErrorCode, `FW_ERR_ROUTE_${string}`>;
type SetupErrorCode = 'FW_ERR_HOOK_UNKNOWN' | 'FW_ERR_SETUP' | 'FW_ERR_SESSION_NO_SECRET' | 'FW_ERR_TEMPLATES';

/** Base of the framework's errors. */
export class FrameworkError<Code extends FrameworkErrorCode = FrameworkErrorCode> extends errorClass(FRAMEWORK_ERRORS)<Code> {
  declare readonly status: number;
}

/** A URL rule could not be parsed or registered. */
export class RouteError extends FrameworkError<RouteErrorCode> {
  readonly rule: string;
  constructor(code: RouteErrorCode, rule: string, message: string) {
    super(code, rule, message);
    this.rule = rule;
  }
}

/** `urlFor` found no rule for the endpoint and values it was given. */
export class BuildError extends FrameworkError<'FW_ERR_BUILD'> {
  readonly endpoint: string;
  constructor(endpoint: string, message: string) {
    super('FW_ERR_BUILD', endpoint, message);
    this.endpoint = endpoint;
  }
}

/** Registration of a hook, an error handler or a blueprint was wrong. */
export class SetupError extends FrameworkError<SetupErrorCode> {
  constructor(code: SetupErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** A handler returned something the framework cannot turn into a response. */
export class ResponseTypeError extends FrameworkError<'FW_ERR_RESPONSE_TYPE'> {
  constructor(seen: string) {
    super('FW_ERR_RESPONSE_TYPE', seen);
  }
}

/** A `tsgi` command-line problem: `code` says usage (exit 2) or app load (exit 4). */
export class CliError extends FrameworkError<'FW_ERR_CLI_USAGE' | 'FW_ERR_CLI_APP_LOAD'> {}
