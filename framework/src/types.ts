import type { HeadersInit } from './headers.js';
import type { BodyChunk, Response } from './response.js';
import type { Context } from './context.js';

/**
 * What a handler may return, as in Flask: a string (HTML), bytes, an object
 * or array (JSON), a `Response` (ours or a WHATWG `Response`), a tuple
 * `[body, status]` / `[body, status, headers]`, or an (async) iterable of
 * chunks for a streamed response.
 */
export type HandlerResult =
  | string
  | Uint8Array
  | Response
  | globalThis.Response
  | readonly [HandlerResult, number]
  | readonly [HandlerResult, number, HeadersInit]
  | AsyncIterable<BodyChunk>
  | Iterable<BodyChunk>
  | Record<string, unknown>
  | readonly unknown[];

/** A view function: gets the request context (with typed `params`), returns a result or a promise of one. */
export type Handler<P = Record<string, unknown>> = (ctx: Context<P>) => HandlerResult | Promise<HandlerResult>;

/** Runs before the handler; returning anything but undefined answers the request instead of the handler. */
export type BeforeRequestHook = (ctx: Context) => HandlerResult | void | Promise<HandlerResult | void>;

/** Runs after the handler with the response; may return a replacement. */
export type AfterRequestHook = (response: Response, ctx: Context) => Response | void | Promise<Response | void>;

/** Runs when the request is done (after the body was sent or on error), with the uncaught error if any. */
export type TeardownHook = (error: unknown, ctx: Context) => void | Promise<void>;

/** Handles an error raised while serving a request; returns what a handler would. */
export type ErrorHandler<E = unknown> = (error: E, ctx: Context) => HandlerResult | Promise<HandlerResult>;

/** The hook names `addHook` accepts (a fixed list: an unknown name is an error). */
export const HOOK_NAMES = ['beforeRequest', 'afterRequest', 'teardownRequest'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

export interface HookMap {
  beforeRequest: BeforeRequestHook;
  afterRequest: AfterRequestHook;
  teardownRequest: TeardownHook;
}

/** Options of `route()` and the method shortcuts. */
export interface RouteOptions {
  /** Methods this rule answers (default GET; HEAD follows GET, OPTIONS is automatic). */
  methods?: readonly string[];
  /** Name for `urlFor` (default: the handler's name, else the rule). */
  endpoint?: string;
  /** Redirect `/x` to `/x/` with 308 when the rule ends with '/' (default true, as Flask). */
  strictSlashes?: boolean;
  /** Param values for rules lacking them (Flask's `defaults`). */
  defaults?: Readonly<Record<string, unknown>>;
  /** Answer OPTIONS automatically with the Allow list (default true). */
  provideAutomaticOptions?: boolean;
  /** Redirect (308) matching requests: a URL template with the rule's `<variables>`, or a function of them (Werkzeug's `redirect_to`). */
  redirectTo?: string | ((params: Record<string, unknown>) => string);
  /** Another URL of the endpoint: matching requests redirect (308) to the canonical rule, urlFor never builds it (Werkzeug's `alias`). */
  alias?: boolean;
  /** Serve only this subdomain of `serverName` (needs `subdomainMatching`): `'api'`, or a pattern `'<user>'` whose value joins the params. */
  subdomain?: string;
  /** Serve only this host (needs `hostMatching`): `'example.com'` or `'<user>.example.com'`. */
  host?: string;
}
