import { FrameworkError } from './errors.js';
import { escapeHtml } from './html.js';
import { Response, redirect } from './response.js';
import { statusPhrase } from './status.js';

/**
 * An HTTP error a handler can throw (or `abort()`), as Werkzeug's
 * `HTTPException`: `code` is the numeric status (Werkzeug's name for it),
 * `description` the paragraph of the error page. `getResponse()` builds the
 * same HTML page Werkzeug sends.
 */
export class HTTPException extends Error {
  static readonly code: number = 500;
  static readonly description: string = '';
  readonly code: number;
  readonly status: number;
  readonly description: string;
  /** Extra headers sent with the error page (e.g. Allow, Retry-After). */
  readonly headers: Array<[string, string]> = [];
  /** A ready response to send instead of the error page (Flask's `abort(response)`). */
  response?: Response;

  constructor(description?: string, options?: { cause?: unknown; response?: Response }) {
    const ctor = new.target as typeof HTTPException;
    super(description ?? ctor.description, options);
    this.name = new.target.name;
    this.code = ctor.code;
    this.status = ctor.code;
    this.description = description ?? ctor.description;
    if (options?.response) this.response = options.response;
  }

  /** The status phrase, e.g. "Not Found". */
  get title(): string {
    return statusPhrase(this.code);
  }

  getResponse(): Response {
    if (this.response) return this.response;
    const paragraph = this.description ? `<p>${escapeHtml(this.description).replace(/\n/g, '<br>')}</p>` : '';
    const body =
      `<!doctype html>\n<html lang=en>\n<title>${this.code} ${escapeHtml(this.title)}</title>\n` +
      `<h1>${escapeHtml(this.title)}</h1>\n${paragraph}\n`;
    return new Response(body, { status: this.code, headers: this.headers });
  }
}

function define(code: number, description: string): typeof HTTPException {
  return class extends HTTPException {
    static override readonly code = code;
    static override readonly description = description;
  };
}

export class BadRequest extends define(400, 'The browser (or proxy) sent a request that this server could not understand.') {}
export class Unauthorized extends define(401, "The server could not verify that you are authorized to access the URL requested. You either supplied the wrong credentials (e.g. a bad password), or your browser doesn't understand how to supply the credentials required.") {}
export class Forbidden extends define(403, "You don't have the permission to access the requested resource. It is either read-protected or not readable by the server.") {}
export class NotFound extends define(404, 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.') {}

/** 405; carries the methods the URL does allow and sends them as `Allow`. */
export class MethodNotAllowed extends define(405, 'The method is not allowed for the requested URL.') {
  readonly validMethods: readonly string[];
  constructor(validMethods: readonly string[] = [], description?: string) {
    super(description);
    this.validMethods = validMethods;
    if (validMethods.length > 0) this.headers.push(['Allow', validMethods.join(', ')]);
  }
}

export class NotAcceptable extends define(406, 'The resource identified by the request is only capable of generating response entities which have content characteristics not acceptable according to the accept headers sent in the request.') {}
export class RequestTimeout extends define(408, "The server closed the network connection because the browser didn't finish the request within the specified time.") {}
export class Conflict extends define(409, 'A conflict happened while processing the request. The resource might have been modified while the request was being processed.') {}
export class Gone extends define(410, 'The requested URL is no longer available on this server and there is no forwarding address. If you followed a link from a foreign page, please contact the author of this page.') {}
export class LengthRequired extends define(411, 'A request with this method requires a valid <code>Content-Length</code> header.') {}
export class PreconditionFailed extends define(412, 'The precondition on the request for the URL failed positive evaluation.') {}
export class RequestEntityTooLarge extends define(413, 'The data value transmitted exceeds the capacity limit.') {}
export class RequestURITooLarge extends define(414, 'The length of the requested URL exceeds the capacity limit for this server. The request cannot be processed.') {}
export class UnsupportedMediaType extends define(415, 'The server does not support the media type transmitted in the request.') {}
/** 416; `length` (the complete size) is sent as `Content-Range: bytes *\/length`. */
export class RequestedRangeNotSatisfiable extends define(416, 'The server cannot provide the requested range.') {
  constructor(description?: string, options?: { cause?: unknown; length?: number }) {
    super(description, options);
    if (options?.length !== undefined) this.headers.push(['Content-Range', `bytes */${options.length}`]);
  }
}
export class ExpectationFailed extends define(417, 'The server could not meet the requirements of the Expect header') {}
export class ImATeapot extends define(418, 'This server is a teapot, not a coffee machine') {}
export class MisdirectedRequest extends define(421, 'The server is not able to produce a response.') {}
export class UnprocessableEntity extends define(422, 'The request was well-formed but was unable to be followed due to semantic errors.') {}
export class Locked extends define(423, 'The resource that is being accessed is locked.') {}
export class FailedDependency extends define(424, 'The method could not be performed on the resource because the requested action depended on another action and that action failed.') {}
export class PreconditionRequired extends define(428, 'This request is required to be conditional; try using "If-Match" or "If-Unmodified-Since".') {}
export class TooManyRequests extends define(429, 'This user has exceeded an allotted request count. Try again later.') {}
export class RequestHeaderFieldsTooLarge extends define(431, 'One or more header fields exceeds the maximum size.') {}
export class UnavailableForLegalReasons extends define(451, 'Unavailable for legal reasons.') {}
export class InternalServerError extends define(500, 'The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.') {}
export class NotImplemented extends define(501, 'The server does not support the action requested by the browser.') {}
export class BadGateway extends define(502, 'The proxy server received an invalid response from an upstream server.') {}
export class ServiceUnavailable extends define(503, 'The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later.') {}
export class GatewayTimeout extends define(504, 'The connection to an upstream server timed out.') {}
export class HTTPVersionNotSupported extends define(505, 'The server does not support the HTTP protocol version used in the request.') {}

/** A missing key in `request.args`/`form`/`values` looked up with `getRequired()` (Werkzeug's BadRequestKeyError, a 400). */
export class BadRequestKeyError extends BadRequest {
  readonly key: string;
  constructor(key: string) {
    super();
    this.key = key;
  }
}

/** Strict-slashes redirect (Werkzeug's `RequestRedirect`): 308 keeps the method and body. */
export class RequestRedirect extends HTTPException {
  static override readonly code = 308;
  readonly newUrl: string;
  constructor(newUrl: string) {
    super('');
    this.newUrl = newUrl;
  }
  override getResponse(): Response {
    return redirect(this.newUrl, 308);
  }
}

/**
 * `abort(response)`: carries a ready response past every error handler (Flask
 * returns it as is, since such an exception has no code to look a handler up by).
 */
export class ResponseAbort extends HTTPException {
  constructor(response: Response) {
    super(undefined, { response });
  }
}

type DescribedException = { new (description?: string, options?: { cause?: unknown }): HTTPException; readonly code: number };

class MethodNotAllowedWithoutList extends MethodNotAllowed {
  constructor(description?: string) {
    super([], description);
    this.name = 'MethodNotAllowed';
  }
}

const BY_CODE = new Map<number, DescribedException>(
  [BadRequest, Unauthorized, Forbidden, NotFound, NotAcceptable, RequestTimeout, Conflict, Gone, LengthRequired,
    PreconditionFailed, RequestEntityTooLarge, RequestURITooLarge, UnsupportedMediaType, RequestedRangeNotSatisfiable,
    ExpectationFailed, ImATeapot, MisdirectedRequest, UnprocessableEntity, Locked, FailedDependency, PreconditionRequired,
    TooManyRequests, RequestHeaderFieldsTooLarge, UnavailableForLegalReasons, InternalServerError, NotImplemented,
    BadGateway, ServiceUnavailable, GatewayTimeout, HTTPVersionNotSupported].map((cls) => [cls.code, cls]),
);

/** Werkzeug's `LookupError` for a status without an exception class: an uncaught error, so a 500. */
export class NoExceptionForCode extends FrameworkError<'FW_ERR_ABORT_CODE'> {
  constructor(status: unknown) {
    super('FW_ERR_ABORT_CODE', String(status));
  }
}

/** The exception class of a status code Werkzeug knows; undefined for others (499, 402, 600...). */
export function knownException(code: number): DescribedException | undefined {
  return code === 405 ? MethodNotAllowedWithoutList : BY_CODE.get(code);
}

/** The exception class for a client or server error status; codes Werkzeug lacks get a generic class. */
export function exceptionFor(code: number): DescribedException {
  const known = knownException(code);
  if (known) return known;
  if (!Number.isInteger(code) || code < 400 || code > 599) throw new TypeError(`exceptionFor() needs a 4xx or 5xx status, got ${code}`);
  const generic = define(code, '');
  BY_CODE.set(code, generic);
  return generic;
}

/**
 * Stops the request with an HTTP error, as Flask's `abort`: `abort(404)`,
 * `abort(403, 'why')`, or `abort(response)` to send a ready response.
 */
export function abort(status: number | Response, description?: string): never {
  if (status instanceof Response) throw new ResponseAbort(status);
  const Cls = knownException(status);
  if (Cls === undefined) throw new NoExceptionForCode(status);
  throw new Cls(description);
}
