import type { Environ } from '@tsgi/gateway';
import type { AppConfig } from './app-config.js';
import type { HTTPException } from './http-exceptions.js';
import type { JsonProvider } from './json-provider.js';
import type { Request } from './request.js';
import type { Response } from './response.js';
import type { Rule } from './routing/rule.js';
import type { UrlMap, UrlValues } from './routing/url-map.js';
import type { Session } from './session.js';

/** urlFor options in a request: `external` builds an absolute URL from the request's scheme and host. */
export interface UrlForOptions {
  external?: boolean;
  /** Scheme of an external URL (Flask's `_scheme`; implies external). */
  scheme?: string;
  anchor?: string;
  method?: string;
}

/**
 * What a request context needs from its app. The App implements it; keeping
 * it here means the context never imports the app (no app ↔ context circle).
 */
export interface ContextHost {
  readonly config: AppConfig;
  readonly urlMap: UrlMap;
  readonly json: JsonProvider;
  openSession(request: Request): Session;
  /** Runs the url_defaults functions of the endpoint's app and blueprints on `values`. */
  injectUrlDefaults(endpoint: string, values: Record<string, unknown>, ctx?: Context<unknown>): void;
  renderTemplate(name: string, context: Record<string, unknown>, ctx?: Context<unknown>): string;
  renderTemplateString(source: string, context: Record<string, unknown>, ctx?: Context<unknown>): string;
}

/** One flashed message: `[category, message]`, as Flask stores them. */
export type Flash = [category: string, message: string];

/**
 * Everything a handler needs for one request (Flask's request context):
 * `request`, typed `params`, `session`, `g`, `urlFor`, `renderTemplate`.
 */
export class Context<P = Record<string, unknown>> {
  readonly app: ContextHost;
  readonly environ: Environ;
  readonly request: Request;
  /** Converted URL variables: `/post/<int:post_id>` gives `{ post_id: number }`. */
  params: P;
  /** The matched rule (undefined on 404/405). */
  rule: Rule | undefined;
  /** The matched endpoint, e.g. `show_post` or `admin.index`. */
  endpoint: string | undefined;
  /** The blueprint of the matched endpoint (`parent.child` when nested). */
  blueprint: string | undefined;
  /** The subdomain ('' for the server name) or, with host matching, the host this request was routed by. */
  domain: string;
  /** @internal */
  sessionValue: Session | undefined;
  /** @internal Where routing failed or asked for a redirect (Flask's `request.routing_exception`); `dispatchRequest` raises it. */
  routingError: HTTPException | undefined;
  /** @internal The error that reached error handling, passed to teardown hooks. */
  uncaught: unknown;
  /** @internal */
  afterThis: Array<(response: Response) => Response | void> | undefined;
  private gValue: Record<string, unknown> | undefined;
  private flashes: Flash[] | undefined;

  constructor(app: ContextHost, environ: Environ, request: Request) {
    this.app = app;
    this.environ = environ;
    this.request = request;
    this.params = EMPTY as P;
    this.rule = undefined;
    this.endpoint = undefined;
    this.blueprint = undefined;
    this.sessionValue = undefined;
    this.domain = '';
    this.afterThis = undefined;
    this.routingError = undefined;
    this.uncaught = undefined;
    this.gValue = undefined;
    this.flashes = undefined;
  }

  /** Per-request scratch space (Flask's `g`). */
  get g(): Record<string, unknown> {
    return (this.gValue ??= {});
  }

  /** The signed-cookie session; needs the app's `secretKey` (FW_ERR_SESSION_NO_SECRET otherwise). */
  get session(): Session {
    return (this.sessionValue ??= this.app.openSession(this.request));
  }

  /** The blueprint names of this request, innermost first (Flask's `request.blueprints`). */
  get blueprints(): string[] {
    if (!this.blueprint) return [];
    const parts = this.blueprint.split('.');
    return parts.map((_, i) => parts.slice(0, parts.length - i).join('.'));
  }

  /** Reverse routing with this request's mount point (SCRIPT_NAME); `.name` means "in my blueprint". */
  urlFor(endpoint: string, values: UrlValues = {}, options: UrlForOptions = {}): string {
    const name = endpoint.startsWith('.') ? (this.blueprint ? `${this.blueprint}${endpoint}` : endpoint.slice(1)) : endpoint;
    const filled: Record<string, unknown> = { ...values };
    this.app.injectUrlDefaults(name, filled, this as Context<unknown>);
    const external = options.external ?? options.scheme !== undefined;
    return this.app.urlMap.build(name, filled, {
      scriptName: this.environ.SCRIPT_NAME,
      domain: this.domain,
      serverName: this.app.config.serverName,
      anchor: options.anchor,
      method: options.method,
      external: external ? { scheme: options.scheme ?? this.request.scheme, host: this.request.host } : undefined,
    });
  }

  /** Renders a template with `request`, `g`, `session`, `config`, `url_for` and the context processors' values. */
  renderTemplate(name: string, context: Record<string, unknown> = {}): string {
    return this.app.renderTemplate(name, context, this as Context<unknown>);
  }

  /** Renders template source text (Flask's `render_template_string`), autoescaped. */
  renderTemplateString(source: string, context: Record<string, unknown> = {}): string {
    return this.app.renderTemplateString(source, context, this as Context<unknown>);
  }

  /** A JSON response through the app's provider (Flask's `jsonify`). */
  json(data: unknown, status = 200): Response {
    return this.app.json.response(data, status);
  }

  /** Registers a function to edit this request's response (Flask's `after_this_request`). */
  afterThisRequest(fn: (response: Response) => Response | void): void {
    (this.afterThis ??= []).push(fn);
  }

  /** Stores a message for the next request (Flask's `flash`), in the session. */
  flash(message: string, category = 'message'): void {
    const list = this.session.get<Flash[]>('_flashes') ?? [];
    this.session.set('_flashes', [...list, [category, message]]);
  }

  /**
   * The flashed messages, removed from the session on first call (Flask's
   * `get_flashed_messages`); with categories as `[category, message]` pairs.
   */
  getFlashedMessages(options: { withCategories: true; categoryFilter?: readonly string[] }): Flash[];
  getFlashedMessages(options?: { withCategories?: false; categoryFilter?: readonly string[] }): string[];
  getFlashedMessages(options: { withCategories?: boolean; categoryFilter?: readonly string[] } = {}): Flash[] | string[] {
    if (this.flashes === undefined) {
      const session = this.session;
      this.flashes = session.has('_flashes') ? (session.get<Flash[]>('_flashes') ?? []) : [];
      if (session.has('_flashes')) session.delete('_flashes');
    }
    const filter = options.categoryFilter;
    const list = filter && filter.length > 0 ? this.flashes.filter(([category]) => filter.includes(category)) : this.flashes;
    return options.withCategories ? list : list.map(([, message]) => message);
  }
}

const EMPTY = Object.freeze({});
