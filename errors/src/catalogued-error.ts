import { formatEntry, type CodeOf, type ErrorArgs, type ErrorCatalogue } from './catalogue.js';

/**
 * The base of every TSGI error: a stable `code` callers branch on (never the
 * message), the HTTP `status` it maps to when it reaches a client (undefined
 * for errors that never do), `cause` as the standard option. `statusCode` is
 * the same status under fastify's name, so fastify and http-errors style
 * handlers read it too.
 */
export class CataloguedError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly status: number | undefined;
  constructor(code: Code, message: string, status: number | undefined, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }

  get statusCode(): number | undefined {
    return this.status;
  }

  /** `Name [CODE]: message`, as @fastify/error prints it. */
  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
}

/** The constructor `errorClass()` returns: generic over the code, so each subclass can narrow it to its own codes. */
export interface CataloguedErrorClass<C extends ErrorCatalogue> {
  new <Code extends CodeOf<C>>(code: Code, ...args: ErrorArgs<C, Code>): CataloguedError<Code>;
  readonly catalogue: C;
  readonly prototype: CataloguedError<CodeOf<C>>;
}

/**
 * A package's base error class over its catalogue: `new GatewayError(code,
 * ...textArgs, { cause })` takes its message template and status from the
 * catalogue, so no call site states a status or spells a code the catalogue
 * lacks. Subclasses add their fields and fix their codes:
 * `class ConfigError extends AppserverError<'APP_ERR_CONFIG_INVALID'>`.
 */
export function errorClass<const C extends ErrorCatalogue>(catalogue: C): CataloguedErrorClass<C> {
  class CatalogueBase<Code extends CodeOf<C>> extends CataloguedError<Code> {
    static readonly catalogue = catalogue;
    constructor(code: Code, ...args: ErrorArgs<C, Code>) {
      const entry = catalogue[code];
      if (entry === undefined) throw new TypeError(`error code ${String(code)} is not in the catalogue`);
      const { message, options } = formatEntry(entry, args);
      super(code, message, entry.status, options);
    }
  }
  return CatalogueBase as CataloguedErrorClass<C>;
}
