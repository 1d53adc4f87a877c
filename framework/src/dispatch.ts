import type { Environ, ResponseBody, ResponseHeaders, StartResponse } from '@tsgi/gateway';
import type { AppConfig } from './app-config.js';
import type { Blueprint } from './blueprint.js';
import type { BodyLimits } from './body.js';
import { Context, type ContextHost } from './context.js';
import { debugErrorPage } from './debug-page.js';
import { HTTPException, InternalServerError, RequestRedirect, ResponseAbort } from './http-exceptions.js';
import type { JsonProvider } from './json-provider.js';
import { fastTsgi, makeResponse, responseToTsgi } from './make-response.js';
import { Request } from './request.js';
import { Response } from './response.js';
import { matchRequest, type MatchSettings } from './routing/match-request.js';
import type { UrlMap } from './routing/url-map.js';
import { Scaffold } from './scaffold.js';
import { NullSession, type Session } from './session.js';
import type { AfterRequestHook, BeforeRequestHook, ErrorHandler, HandlerResult } from './types.js';
import type { View } from './view.js';

type Result = HandlerResult | Promise<HandlerResult>;
type TsgiOutput = [string, ResponseHeaders, ResponseBody];

/** What each request reads from the config, fixed whenever the config changes. */
interface DispatchSettings {
  readonly limits: BodyLimits;
  readonly match: MatchSettings;
}

const NO_BLUEPRINTS: readonly Blueprint[] = [];

function isPromise<T>(value: unknown): value is Promise<T> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * The request path of an app, one method per stage with Flask's names, each
 * overridable by a subclass of `App`:
 *
 * route → `preprocessRequest` → `dispatchRequest` → (error: `handleUserException`
 * → `handleHttpException`; unhandled: `handleException`) → `finalizeRequest`
 * → `processResponse` → body sent → `doTeardownRequest`.
 *
 * Synchronous hooks and handlers are served without any promise; async ones
 * are awaited where they appear.
 */
export abstract class Dispatcher extends Scaffold implements ContextHost {
  abstract readonly config: AppConfig;
  abstract readonly urlMap: UrlMap;
  abstract readonly json: JsonProvider;
  /** @internal */
  abstract readonly views: ReadonlyMap<string, View>;
  abstract openSession(request: Request): Session;
  abstract signSession(session: Session): string;
  abstract injectUrlDefaults(endpoint: string, values: Record<string, unknown>, ctx?: Context<unknown>): void;
  abstract renderTemplate(name: string, context: Record<string, unknown>, ctx?: Context<unknown>): string;
  abstract renderTemplateString(source: string, context: Record<string, unknown>, ctx?: Context<unknown>): string;

  private settings: DispatchSettings | undefined;

  constructor() {
    super();
    this.setCall((environ, startResponse) => this.wsgiApp(environ, startResponse));
  }

  /** Reads the limits and host settings requests use; the app calls it whenever its config changes. */
  protected configureDispatch(): void {
    const config = this.config;
    this.settings = {
      limits: { maxContentLength: config.maxContentLength, maxFormParts: config.maxFormParts, maxFormMemorySize: config.maxFormMemorySize },
      match: { domainRouting: config.hostMatching || config.subdomainMatching, hostMatching: config.hostMatching, serverName: config.serverName },
    };
  }

  /** Flask's `wsgi_app`: one request from environ to response body; teardown runs when the server closes the body. */
  private wsgiApp(environ: Environ, startResponse: StartResponse): ResponseBody | Promise<ResponseBody> {
    const settings = this.settings!;
    const ctx = new Context(this, environ, new Request(environ, settings.limits));
    let output: TsgiOutput | Promise<TsgiOutput>;
    try {
      matchRequest(ctx, this.urlMap, this.views, settings.match);
      output = this.fullDispatchRequest(ctx);
      if (isPromise<TsgiOutput>(output)) output = output.catch((error: unknown) => this.exceptionOutput(ctx, error));
    } catch (error) {
      output = this.exceptionOutput(ctx, error);
    }
    if (isPromise<TsgiOutput>(output)) return output.then((value) => this.send(ctx, value, startResponse));
    return this.send(ctx, output, startResponse);
  }

  /** Flask's `full_dispatch_request`: hooks and handler, their errors to `handleUserException`, then the response. */
  private fullDispatchRequest(ctx: Context): TsgiOutput | Promise<TsgiOutput> {
    let result: Result;
    try {
      const early = this.preprocessRequest(ctx);
      if (isPromise<HandlerResult | void>(early)) result = early.then((value) => (value !== undefined ? value : this.dispatchRequest(ctx)));
      else result = early !== undefined ? early : this.dispatchRequest(ctx);
      if (isPromise<HandlerResult>(result)) result = result.catch((error: unknown) => this.handleUserException(ctx, error));
    } catch (error) {
      result = this.handleUserException(ctx, error);
    }
    if (isPromise<HandlerResult>(result)) return result.then((value) => this.finalizeOutput(ctx, value));
    return this.finalizeOutput(ctx, result);
  }

  /**
   * Runs the url_value_preprocessors, then the before-request hooks (the app's,
   * then its blueprints' from the outermost in). A hook returning anything but
   * undefined answers the request: the handler is not called.
   */
  preprocessRequest(ctx: Context): HandlerResult | void | Promise<HandlerResult | void> {
    const chain = this.blueprintsOf(ctx);
    // With no values when routing failed, as in Flask.
    const values = ctx.routingError === undefined ? (ctx.params as Record<string, unknown>) : undefined;
    for (const fn of this.urlValuePreprocessors) fn(ctx.endpoint, values, ctx as Context<unknown>);
    for (let i = chain.length - 1; i >= 0; i--) for (const fn of chain[i]!.urlValuePreprocessors) fn(ctx.endpoint, values, ctx as Context<unknown>);
    let before: readonly BeforeRequestHook[] = this.hooks.beforeRequest;
    if (chain.length > 0) {
      before = [...before];
      for (let i = chain.length - 1; i >= 0; i--) (before as BeforeRequestHook[]).push(...chain[i]!.hooks.beforeRequest);
    }
    return before.length === 0 ? undefined : runBeforeHooks(ctx, before, 0);
  }

  /**
   * Calls the matched handler. Raises the routing outcome (404, 405, a
   * redirect) when there is no handler to call, and answers OPTIONS itself
   * for rules with automatic options.
   */
  dispatchRequest(ctx: Context): HandlerResult | Promise<HandlerResult> {
    if (ctx.routingError !== undefined) throw ctx.routingError;
    const rule = ctx.rule!;
    if (ctx.request.method === 'OPTIONS' && rule.automaticOptions) {
      return new Response('', { headers: [['Allow', this.urlMap.allowedMethods(ctx.request.path, ctx.domain).sort().join(', ')]] });
    }
    return this.views.get(rule.endpoint)!.handler(ctx as Context<never>);
  }

  /**
   * Gets what hooks and handler raised. HTTP errors go to `handleHttpException`;
   * others to the nearest error handler registered for their class. With none,
   * the error is raised again and ends in `handleException` (a 500).
   */
  handleUserException(ctx: Context, error: unknown): HandlerResult | Promise<HandlerResult> {
    if (error instanceof HTTPException) return this.handleHttpException(ctx, error);
    const handler = this.findErrorHandler(ctx, error);
    if (handler === undefined) throw error;
    return handler(error, ctx);
  }

  /**
   * An HTTP error: its handler by code or class, else its own error page.
   * Routing redirects and `abort(response)` are answered as they are.
   */
  handleHttpException(ctx: Context, error: HTTPException): HandlerResult | Promise<HandlerResult> {
    if (error instanceof RequestRedirect || error instanceof ResponseAbort) return error.getResponse();
    const handler = this.findErrorHandler(ctx, error);
    return handler === undefined ? error.getResponse() : handler(error, ctx);
  }

  /**
   * An error nothing handled, or one raised by an error handler or by
   * `finalizeRequest`: logged to `tsgi.errors` and answered 500. A 500
   * handler receives an `InternalServerError` whose `cause` is the error;
   * without one, `debug` shows the debug page. Teardown hooks get the error.
   */
  handleException(ctx: Context, error: unknown): Response | Promise<Response> {
    ctx.uncaught = error;
    this.logException(ctx, error);
    const serverError = new InternalServerError(undefined, { cause: error });
    const handler = this.findErrorHandler(ctx, serverError);
    if (handler === undefined) return this.finalizeRequest(ctx, this.serverErrorPage(ctx, error), true);
    let result: Result;
    try {
      result = handler(serverError, ctx);
    } catch (second) {
      return this.lastResort(ctx, second);
    }
    if (isPromise<HandlerResult>(result)) return result.then((value) => this.finalizeRequest(ctx, value, true), (second: unknown) => this.lastResort(ctx, second));
    return this.finalizeRequest(ctx, result, true);
  }

  /**
   * Turns a handler's (or error handler's) result into a `Response` and runs
   * `processResponse` on it. `fromErrorHandler`: the answer to an unhandled
   * error, whose processing may not fail again: an error there is logged and
   * the response is sent as it was made.
   */
  finalizeRequest(ctx: Context, result: HandlerResult, fromErrorHandler = false): Response | Promise<Response> {
    const response = makeResponse(result, this.json);
    if (!fromErrorHandler) return this.processResponse(ctx, response);
    const failed = (error: unknown): Response => {
      this.logException(ctx, error, 'processing the answer to an error failed');
      return response;
    };
    try {
      const processed = this.processResponse(ctx, response);
      return isPromise<Response>(processed) ? processed.catch(failed) : processed;
    } catch (error) {
      return failed(error);
    }
  }

  /**
   * Runs the `afterThisRequest` functions, then the after-request hooks (the
   * blueprints' from the innermost out, then the app's, each list newest
   * first), then saves the session into a cookie when it changed.
   */
  processResponse(ctx: Context, response: Response): Response | Promise<Response> {
    if (ctx.afterThis) for (const fn of ctx.afterThis) response = fn(response) ?? response;
    const after: AfterRequestHook[] = [];
    for (const scaffold of [...this.blueprintsOf(ctx), this]) {
      const hooks = scaffold.hooks.afterRequest;
      for (let i = hooks.length - 1; i >= 0; i--) after.push(hooks[i]!);
    }
    return this.runAfterHooks(ctx, after, 0, response);
  }

  private runAfterHooks(ctx: Context, after: readonly AfterRequestHook[], index: number, response: Response): Response | Promise<Response> {
    for (let i = index; i < after.length; i++) {
      const outcome = after[i]!(response, ctx);
      if (isPromise<Response | void>(outcome)) return outcome.then((value) => this.runAfterHooks(ctx, after, i + 1, value ?? response));
      if (outcome !== undefined) response = outcome;
    }
    this.saveSession(ctx, response);
    return response;
  }

  /**
   * Runs the teardown hooks once the server closed the response body (the
   * blueprints' from the innermost out, then the app's, each list newest
   * first) with the error `handleException` got, or undefined. A failing hook
   * is logged and the others still run.
   */
  async doTeardownRequest(ctx: Context, error: unknown): Promise<void> {
    for (const scaffold of [...this.blueprintsOf(ctx), this]) {
      const hooks = scaffold.hooks.teardownRequest;
      for (let i = hooks.length - 1; i >= 0; i--) {
        try {
          await hooks[i]!(error, ctx);
        } catch (failure) {
          this.logException(ctx, failure);
        }
      }
    }
  }

  /** Writes an error with its stack to the server's error stream (`tsgi.errors`). */
  protected logException(ctx: Context, error: unknown, what = 'error serving'): void {
    const environ = ctx.environ;
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    environ['tsgi.errors'].write(`framework: ${what} ${environ.REQUEST_METHOD} ${environ.SCRIPT_NAME}${environ.PATH_INFO}: ${text}\n`);
  }

  /** The blueprints of the matched endpoint, innermost first. */
  private blueprintsOf(ctx: Context): readonly Blueprint[] {
    return ctx.endpoint === undefined ? NO_BLUEPRINTS : (this.views.get(ctx.endpoint)?.blueprints ?? NO_BLUEPRINTS);
  }

  /** The nearest error handler: blueprints first (innermost out), then the app; by HTTP code, then by class along the prototype chain. */
  private findErrorHandler(ctx: Context, error: unknown): ErrorHandler<unknown> | undefined {
    const chain = this.blueprintsOf(ctx);
    const scaffolds: readonly Scaffold[] = chain.length > 0 ? [...chain, this] : [this];
    if (error instanceof HTTPException) {
      for (const scaffold of scaffolds) {
        const handler = scaffold.errorHandlersByCode.get(error.code);
        if (handler) return handler as ErrorHandler<unknown>;
      }
    }
    if (error !== null && typeof error === 'object') {
      for (const scaffold of scaffolds) {
        if (scaffold.errorHandlersByClass.size === 0) continue;
        for (let proto: unknown = Object.getPrototypeOf(error); proto !== null; proto = Object.getPrototypeOf(proto)) {
          const handler = scaffold.errorHandlersByClass.get((proto as { constructor: abstract new (...args: never[]) => unknown }).constructor);
          if (handler) return handler as ErrorHandler<unknown>;
        }
      }
    }
    return undefined;
  }

  private serverErrorPage(ctx: Context, error: unknown): Response {
    return this.config.debug ? debugErrorPage(ctx.environ, error) : new InternalServerError().getResponse();
  }

  /** A 500 handler that failed too: the plain 500 page, unprocessed (Flask would leave it to the server). */
  private lastResort(ctx: Context, error: unknown): Response {
    ctx.uncaught = error;
    this.logException(ctx, error);
    return this.serverErrorPage(ctx, error);
  }

  /** `handleException`, kept from failing: whatever it raises gets the last-resort page. */
  private exceptionOutput(ctx: Context, error: unknown): TsgiOutput | Promise<TsgiOutput> {
    let response: Response | Promise<Response>;
    try {
      response = this.handleException(ctx, error);
    } catch (second) {
      response = this.lastResort(ctx, second);
    }
    if (isPromise<Response>(response)) return response.then(responseToTsgi, (second: unknown) => responseToTsgi(this.lastResort(ctx, second)));
    return responseToTsgi(response);
  }

  /** `finalizeRequest`, skipped when it would change nothing: the common string or JSON answer goes out without a Response object. */
  private finalizeOutput(ctx: Context, result: HandlerResult): TsgiOutput | Promise<TsgiOutput> {
    if (this.plainAnswer(ctx)) return fastTsgi(result, this.json) ?? responseToTsgi(makeResponse(result, this.json));
    const response = this.finalizeRequest(ctx, result);
    return isPromise<Response>(response) ? response.then(responseToTsgi) : responseToTsgi(response);
  }

  /** No after-request work for this request, and neither finalizeRequest nor processResponse overridden. */
  private plainAnswer(ctx: Context): boolean {
    if (ctx.afterThis !== undefined || ctx.sessionValue !== undefined || this.hooks.afterRequest.length > 0) return false;
    if (this.finalizeRequest !== STOCK.finalizeRequest || this.processResponse !== STOCK.processResponse) return false;
    return this.blueprintsOf(ctx).every((bp) => bp.hooks.afterRequest.length === 0);
  }

  /** Flask's session_interface.save_session: a changed session goes into the cookie, an emptied one deletes it. */
  private saveSession(ctx: Context, response: Response): void {
    const session = ctx.sessionValue;
    if (session === undefined || session instanceof NullSession) return;
    response.headers.append('Vary', 'Cookie');
    const options = this.config.session;
    if (!session.modified && !(session.permanent && options.refreshEachRequest && session.size > 0)) return;
    if (session.size === 0 && !session.permanent) {
      response.deleteCookie(options.cookieName, options.cookie);
    } else {
      // Flask sends a permanent session's lifetime as Expires only (no Max-Age).
      const expiry = session.permanent ? { expires: Date.now() + options.lifetimeSeconds * 1000 } : {};
      response.setCookie(options.cookieName, this.signSession(session), { ...options.cookie, ...expiry });
    }
  }

  private send(ctx: Context, output: TsgiOutput, startResponse: StartResponse): ResponseBody {
    startResponse(output[0], output[1]);
    if (!this.needsTeardown(ctx)) return output[2];
    return this.withTeardown(ctx, output[2]);
  }

  private needsTeardown(ctx: Context): boolean {
    if (this.hooks.teardownRequest.length > 0 || this.doTeardownRequest !== STOCK.doTeardownRequest) return true;
    return this.blueprintsOf(ctx).some((bp) => bp.hooks.teardownRequest.length > 0);
  }

  /** The body, with `doTeardownRequest` run once when the server closes it. */
  private withTeardown(ctx: Context, body: ResponseBody): ResponseBody {
    let done = false;
    const close = async (): Promise<void> => {
      if (done) return;
      done = true;
      try {
        await body.close?.();
      } finally {
        await this.doTeardownRequest(ctx, ctx.uncaught);
      }
    };
    if (Symbol.asyncIterator in body) return { [Symbol.asyncIterator]: () => body[Symbol.asyncIterator](), close };
    return { [Symbol.iterator]: () => (body as Iterable<Uint8Array>)[Symbol.iterator](), close };
  }
}

/** The stock stages: a subclass that overrides one of these gets it called for every request, so no fast path skips it. */
const STOCK = {
  finalizeRequest: Dispatcher.prototype.finalizeRequest,
  processResponse: Dispatcher.prototype.processResponse,
  doTeardownRequest: Dispatcher.prototype.doTeardownRequest,
};

function runBeforeHooks(ctx: Context, before: readonly BeforeRequestHook[], index: number): HandlerResult | void | Promise<HandlerResult | void> {
  for (let i = index; i < before.length; i++) {
    const outcome = before[i]!(ctx);
    if (isPromise<HandlerResult | void>(outcome)) return outcome.then((value) => (value !== undefined ? value : runBeforeHooks(ctx, before, i + 1)));
    if (outcome !== undefined) return outcome;
  }
  return undefined;
}
