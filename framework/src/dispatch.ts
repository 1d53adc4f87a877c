import { ROUTE_KEY, type Environ, type ResponseBody, type ResponseHeaders, type StartResponse } from '@tsgi/gateway';
import type { Blueprint } from './blueprint.js';
import type { TsgiCall } from './callable.js';
import { Context, type ContextHost } from './context.js';
import { debugErrorPage } from './debug-page.js';
import { HTTPException, InternalServerError, MethodNotAllowed, NotFound, RequestRedirect, ResponseAbort } from './http-exceptions.js';
import { fastTsgi, makeResponse, responseToTsgi } from './make-response.js';
import { Request } from './request.js';
import { Response } from './response.js';
import { quotePathKeepSlash } from './routing/converters.js';
import type { Rule } from './routing/rule.js';
import type { Scaffold } from './scaffold.js';
import { NullSession, type Session } from './session.js';
import type { AfterRequestHook, BeforeRequestHook, ErrorHandler, Handler, HandlerResult, TeardownHook } from './types.js';

/** @internal A registered endpoint. */
export interface View {
  handler: Handler<never>;
  identity: unknown;
  /** The blueprints of the endpoint, innermost first (empty for app routes). */
  blueprints: readonly Blueprint[];
  /** The registered name of the innermost blueprint (`parent.child`; differs from `blueprint.name` for a second registration). */
  blueprintName: string | undefined;
}

/** What the dispatcher needs from its app (the App implements it; no app ↔ dispatch import circle). */
export interface DispatchHost extends ContextHost, Scaffold {
  readonly views: ReadonlyMap<string, View>;
  signSession(session: Session): string;
}

type Result = HandlerResult | Promise<HandlerResult>;

const EMPTY_PARAMS = Object.freeze({});

function isPromise<T>(value: unknown): value is Promise<T> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

function buildParams(rule: Rule, values: unknown[]): Record<string, unknown> {
  const names = rule.argNames;
  if (names.length === 0 && rule.defaults === undefined) return EMPTY_PARAMS;
  const params: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) params[names[i]!] = values[i];
  if (rule.defaults) for (const key of Object.keys(rule.defaults)) if (!(key in params)) params[key] = rule.defaults[key];
  return params;
}

/**
 * Builds the TSGI callable of an app: route, run hooks and handler, turn the
 * result into a response, handle errors. Synchronous handlers are served
 * without any promise; async ones are awaited.
 */
export function createDispatcher(app: DispatchHost): TsgiCall {
  const { urlMap, views, config, hooks } = app;
  const json = app.json;
  const limits = { maxContentLength: config.maxContentLength, maxFormParts: config.maxFormParts, maxFormMemorySize: config.maxFormMemorySize };

  const domainRouting = config.hostMatching || config.subdomainMatching;
  const server = config.serverName;

  /** The request's subdomain below serverName ('' for serverName itself), or its host with host matching (default ports dropped). */
  function requestDomain(request: Request): string {
    let host = request.host.toLowerCase();
    const defaultPort = request.scheme === 'https' ? ':443' : ':80';
    if (host.endsWith(defaultPort)) host = host.slice(0, -defaultPort.length);
    if (config.hostMatching) return host;
    if (server === undefined || host === server) return '';
    // A host outside serverName matches no subdomain rule and no plain rule (Werkzeug's "<invalid>").
    return host.endsWith(`.${server}`) ? host.slice(0, -server.length - 1) : '\0invalid';
  }

  const appTeardown = (): readonly TeardownHook[] => (hooks.teardownRequest.length === 0 ? hooks.teardownRequest : [...hooks.teardownRequest].reverse());

  function handle(environ: Environ, startResponse: StartResponse): ResponseBody | Promise<ResponseBody> {
    const ctx = new Context(app, environ, new Request(environ, limits));
    let result: Result;
    let view: View | undefined;
    try {
      if (domainRouting) ctx.domain = requestDomain(ctx.request);
      const match = urlMap.match(ctx.request.path, ctx.request.method, ctx.domain);
      let routingError: HTTPException | undefined;
      if (match.kind === 'match') {
        const rule = match.rule;
        view = views.get(rule.endpoint)!;
        ctx.rule = rule;
        ctx.endpoint = rule.endpoint;
        ctx.blueprint = view.blueprintName;
        ctx.params = buildParams(rule, match.values);
        if (rule.domain !== undefined) ctx.params = { ...urlMap.domainValues(rule, ctx.domain), ...(ctx.params as Record<string, unknown>) };
        environ['fw.endpoint'] = rule.endpoint;
        environ[ROUTE_KEY] = rule.rule;
        routingError = ruleRedirect(ctx, rule, ctx.params as Record<string, unknown>);
      } else if (match.kind === 'slash') {
        routingError = redirectTo(ctx, `${ctx.request.path}/`);
      } else {
        routingError = mergedSlashRedirect(ctx, ctx.request.method) ?? (match.allowed.size > 0 ? new MethodNotAllowed([...match.allowed].sort()) : new NotFound());
      }
      // As Flask's preprocess_request: they run for every request, with no values when routing failed.
      preprocessUrlValues(ctx, view, routingError === undefined);
      const before = outerFirst(view, 'beforeRequest');
      const currentView = view;
      result = before.length > 0 ? runBefore(ctx, before, 0, () => dispatchRequest(ctx, currentView, routingError)) : dispatchRequest(ctx, view, routingError);
      if (isPromise<HandlerResult>(result)) result = result.catch((error: unknown) => handleError(ctx, view, error));
    } catch (error) {
      result = handleError(ctx, view, error);
    }
    if (isPromise<HandlerResult>(result)) return result.then((value) => finish(ctx, view, value, startResponse));
    return finish(ctx, view, result, startResponse);
  }

  /** The hooks of one kind for a request: the app's, then its blueprints' from the outermost in (Flask's order). */
  function outerFirst<K extends 'beforeRequest'>(view: View | undefined, kind: K): readonly BeforeRequestHook[] {
    if (view === undefined || view.blueprints.length === 0) return hooks[kind];
    const out = [...hooks[kind]];
    for (let i = view.blueprints.length - 1; i >= 0; i--) out.push(...view.blueprints[i]!.hooks[kind]);
    return out;
  }

  /** url_value_preprocessor functions: the app's, then the blueprints' from the outermost in. */
  function preprocessUrlValues(ctx: Context, view: View | undefined, routed: boolean): void {
    if (app.urlValuePreprocessors.length === 0 && (view === undefined || view.blueprints.every((bp) => bp.urlValuePreprocessors.length === 0))) return;
    const chain: Scaffold[] = [app, ...[...(view?.blueprints ?? [])].reverse()];
    const values = routed ? (ctx.params as Record<string, unknown>) : undefined;
    for (const scaffold of chain) for (const fn of scaffold.urlValuePreprocessors) fn(ctx.endpoint, values, ctx as Context<unknown>);
  }

  /** redirect_to rules, alias rules and URLs equal to a rule's defaults answer 308 to the canonical URL (Werkzeug). */
  function ruleRedirect(ctx: Context, rule: Rule, params: Record<string, unknown>): RequestRedirect | undefined {
    const method = ctx.request.method;
    if (rule.redirectTo !== undefined) {
      const target = typeof rule.redirectTo === 'function' ? rule.redirectTo(params) : fillTemplate(rule, rule.redirectTo, params);
      return new RequestRedirect(new URL(target, `${ctx.request.hostUrl}${ctx.environ.SCRIPT_NAME}/`).href);
    }
    const path = rule.alias ? urlMap.aliasRedirect(rule, params, method) : urlMap.defaultRedirect(rule, params, method);
    return path === undefined ? undefined : redirectTo(ctx, path);
  }

  /** `'/new/<id>'` with the matched values, each written by its rule converter. */
  function fillTemplate(rule: Rule, template: string, params: Record<string, unknown>): string {
    return template.replace(/<(?:[^>:]+:)?([^>]+)>/g, (_whole, name: string) => {
      const piece = rule.buildPieces.find((p) => typeof p !== 'string' && p.name === name);
      return piece && typeof piece !== 'string' ? piece.converter.toUrl(params[name]) : String(params[name] ?? '');
    });
  }

  /** A 308 to `path` under this mount point, percent-encoded as Werkzeug does, with the raw query kept. */
  function redirectTo(ctx: Context, path: string): RequestRedirect {
    const query = ctx.environ.QUERY_STRING;
    return new RequestRedirect(`${ctx.request.hostUrl}${quotePathKeepSlash(ctx.environ.SCRIPT_NAME + path)}${query ? `?${query}` : ''}`);
  }

  /** Werkzeug's merge_slashes: a path with '//' that matches once collapsed redirects to the collapsed form. */
  function mergedSlashRedirect(ctx: Context, method: string): RequestRedirect | undefined {
    const path = ctx.request.path;
    if (!path.includes('//')) return undefined;
    const merged = path.replace(/\/{2,}/g, '/');
    const again = urlMap.match(merged, method, ctx.domain);
    if (again.kind === 'match') return redirectTo(ctx, merged);
    if (again.kind === 'slash') return redirectTo(ctx, `${merged}/`);
    return undefined;
  }

  function runBefore(ctx: Context, before: readonly BeforeRequestHook[], index: number, then: () => Result): Result {
    for (let i = index; i < before.length; i++) {
      const outcome = before[i]!(ctx);
      if (isPromise<HandlerResult | void>(outcome)) {
        return outcome.then((value) => (value !== undefined ? value : runBefore(ctx, before, i + 1, then)));
      }
      if (outcome !== undefined) return outcome;
    }
    return then();
  }

  function dispatchRequest(ctx: Context, view: View | undefined, routingError: HTTPException | undefined): Result {
    if (routingError !== undefined) throw routingError;
    if (ctx.request.method === 'OPTIONS' && ctx.rule!.automaticOptions) {
      return new Response('', { headers: [['Allow', urlMap.allowedMethods(ctx.request.path, ctx.domain).sort().join(', ')]] });
    }
    return view!.handler(ctx as Context<never>);
  }

  function findErrorHandler(view: View | undefined, error: unknown): ErrorHandler<never> | undefined {
    const scaffolds: Scaffold[] = view && view.blueprints.length > 0 ? [...view.blueprints, app] : [app];
    if (error instanceof HTTPException) {
      for (const scaffold of scaffolds) {
        const handler = scaffold.errorHandlersByCode.get(error.code);
        if (handler) return handler as ErrorHandler<never>;
      }
    }
    if (error !== null && typeof error === 'object') {
      for (const scaffold of scaffolds) {
        if (scaffold.errorHandlersByClass.size === 0) continue;
        for (let proto = Object.getPrototypeOf(error); proto !== null; proto = Object.getPrototypeOf(proto)) {
          const handler = scaffold.errorHandlersByClass.get(proto.constructor);
          if (handler) return handler;
        }
      }
    }
    return undefined;
  }

  function logError(environ: Environ, error: unknown): void {
    const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    environ['tsgi.errors'].write(`framework: error serving ${environ.REQUEST_METHOD} ${environ.SCRIPT_NAME}${environ.PATH_INFO}: ${text}\n`);
  }

  function serverError(ctx: Context, error: unknown): Response {
    if (!config.debug) return new InternalServerError().getResponse();
    return debugErrorPage(ctx.environ, error);
  }

  /** Turns an error into a result: error handlers first, then the HTTP error page or a 500. */
  function handleError(ctx: Context, view: View | undefined, error: unknown): Result {
    // Slash redirects are routing, not errors, and abort(response) has no code to find a
    // handler by: both are answered as they are (Flask's handle_http_exception).
    if (error instanceof RequestRedirect || error instanceof ResponseAbort) return error.getResponse();
    const handler = findErrorHandler(view, error);
    if (handler) {
      const run = (): Result => (handler as ErrorHandler<unknown>)(error, ctx);
      try {
        const outcome = run();
        if (isPromise<HandlerResult>(outcome)) return outcome.catch((second: unknown) => lastResort(ctx, second));
        return outcome;
      } catch (second) {
        return lastResort(ctx, second);
      }
    }
    if (error instanceof HTTPException) return error.getResponse();
    // Only an error that ends in a 500 reaches teardown; handled ones (HTTP errors, a
    // matching error handler) give it undefined, as Flask passes None.
    ctx.uncaught = error;
    logError(ctx.environ, error);
    const wrapped = new InternalServerError(undefined, { cause: error });
    const internal = findErrorHandler(view, wrapped);
    if (internal) {
      try {
        // Flask passes an InternalServerError whose original_exception (here `cause`) is the error.
        const outcome = (internal as ErrorHandler<unknown>)(wrapped, ctx);
        if (isPromise<HandlerResult>(outcome)) return outcome.catch((second: unknown) => lastResort(ctx, second));
        return outcome;
      } catch (second) {
        return lastResort(ctx, second);
      }
    }
    return serverError(ctx, error);
  }

  function lastResort(ctx: Context, error: unknown): Response {
    ctx.uncaught = error;
    logError(ctx.environ, error);
    return serverError(ctx, error);
  }

  function finish(ctx: Context, view: View | undefined, result: HandlerResult, startResponse: StartResponse): ResponseBody | Promise<ResponseBody> {
    const chain = view?.blueprints ?? [];
    // Flask's do_teardown_request: the blueprints' from the innermost out, then the app's, each list reversed.
    const teardown = chain.length === 0 ? appTeardown() : [...chain.flatMap((bp) => [...bp.hooks.teardownRequest].reverse()), ...appTeardown()];
    const plain = hooks.afterRequest.length === 0 && chain.every((bp) => bp.hooks.afterRequest.length === 0) && ctx.sessionValue === undefined && ctx.afterThis === undefined;
    let output: [string, ResponseHeaders, ResponseBody] | undefined;
    if (plain) {
      output = fastTsgi(result, json);
      if (output === undefined) {
        try {
          output = responseToTsgi(makeResponse(result, json));
        } catch (error) {
          output = responseToTsgi(makeResponse(handleErrorSync(ctx, view, error), json));
        }
      }
      return send(ctx, output, teardown, startResponse);
    }
    return processResponse(ctx, view, result).then(
      (response) => send(ctx, responseToTsgi(response), teardown, startResponse),
    );
  }

  function handleErrorSync(ctx: Context, view: View | undefined, error: unknown): HandlerResult {
    const outcome = handleError(ctx, view, error);
    // An async error handler for a result-conversion error: fall back to the plain page.
    return isPromise(outcome) ? lastResort(ctx, error) : outcome;
  }

  async function processResponse(ctx: Context, view: View | undefined, result: HandlerResult): Promise<Response> {
    let response: Response;
    try {
      response = makeResponse(result, json);
      if (ctx.afterThis) for (const fn of ctx.afterThis) response = fn(response) ?? response;
      const chains: Array<readonly AfterRequestHook[]> = [...(view?.blueprints ?? []).map((bp) => bp.hooks.afterRequest), hooks.afterRequest];
      for (const chain of chains) {
        for (let i = chain.length - 1; i >= 0; i--) response = (await chain[i]!(response, ctx)) ?? response;
      }
    } catch (error) {
      response = makeResponse(await handleError(ctx, view, error), json);
    }
    const session = ctx.sessionValue;
    if (session !== undefined && !(session instanceof NullSession)) {
      response.headers.append('Vary', 'Cookie');
      const options = config.session;
      if (session.modified || (session.permanent && options.refreshEachRequest && session.size > 0)) {
        if (session.size === 0 && !session.permanent) {
          response.deleteCookie(options.cookieName, options.cookie);
        } else {
          // Flask sends a permanent session's lifetime as Expires only (no Max-Age).
          const expiry = session.permanent ? { expires: Date.now() + options.lifetimeSeconds * 1000 } : {};
          response.setCookie(options.cookieName, app.signSession(session), { ...options.cookie, ...expiry });
        }
      }
    }
    return response;
  }

  function send(ctx: Context, output: [string, ResponseHeaders, ResponseBody], teardown: readonly TeardownHook[], startResponse: StartResponse): ResponseBody {
    startResponse(output[0], output[1]);
    if (teardown.length === 0) return output[2];
    return withTeardown(ctx, output[2], teardown);
  }

  function withTeardown(ctx: Context, body: ResponseBody, teardown: readonly TeardownHook[]): ResponseBody {
    let done = false;
    const close = async (): Promise<void> => {
      if (done) return;
      done = true;
      try {
        await body.close?.();
      } finally {
        for (const hook of teardown) {
          try {
            await hook(ctx.uncaught, ctx);
          } catch (error) {
            logError(ctx.environ, error);
          }
        }
      }
    };
    if (Symbol.asyncIterator in body) return { [Symbol.asyncIterator]: () => body[Symbol.asyncIterator](), close };
    return { [Symbol.iterator]: () => (body as Iterable<Uint8Array>)[Symbol.iterator](), close };
  }

  return handle;
}
