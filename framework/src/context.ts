import type { Environ } from '@tsgi/gateway';
import type { App } from './app.js';
import { Request } from './request.js';
import type { Response } from './response.js';
import type { Rule } from './routing/rule.js';
import type { BuildOptions, UrlValues } from './routing/url-map.js';
import { Session } from './session.js';

/** urlFor options in a request: `external` builds an absolute URL from the request's scheme and host. */
export interface UrlForOptions {
  external?: boolean;
  anchor?: string;
  method?: string;
}

/**
 * Everything a handler needs for one request (Flask's request context):
 * `request`, typed `params`, `session`, `g`, `urlFor`, `renderTemplate`.
 */
export class Context<P = Record<string, unknown>> {
  readonly app: App;
  readonly environ: Environ;
  readonly request: Request;
  /** Converted URL variables: `/post/<int:post_id>` gives `{ post_id: number }`. */
  params: P;
  /** The matched rule (undefined on 404/405). */
  rule: Rule | undefined;
  /** The matched endpoint, e.g. `show_post` or `admin.index`. */
  endpoint: string | undefined;
  /** The blueprint of the matched endpoint. */
  blueprint: string | undefined;
  /** @internal */
  sessionValue: Session | undefined;
  /** @internal The error that reached error handling, passed to teardown hooks. */
  uncaught: unknown;
  /** @internal */
  afterThis: Array<(response: Response) => Response | void> | undefined;
  private gValue: Record<string, unknown> | undefined;

  constructor(app: App, environ: Environ, request: Request) {
    this.app = app;
    this.environ = environ;
    this.request = request;
    this.params = EMPTY as P;
    this.rule = undefined;
    this.endpoint = undefined;
    this.blueprint = undefined;
    this.sessionValue = undefined;
    this.afterThis = undefined;
    this.uncaught = undefined;
    this.gValue = undefined;
  }

  /** Per-request scratch space (Flask's `g`). */
  get g(): Record<string, unknown> {
    return (this.gValue ??= {});
  }

  /** The signed-cookie session; needs the app's `secretKey` (FW_ERR_SESSION_NO_SECRET otherwise). */
  get session(): Session {
    return (this.sessionValue ??= this.app.openSession(this.request));
  }

  /** Reverse routing with this request's mount point (SCRIPT_NAME); `.name` means "in my blueprint". */
  urlFor(endpoint: string, values?: UrlValues, options: UrlForOptions = {}): string {
    const name = endpoint.startsWith('.') ? (this.blueprint ? `${this.blueprint}${endpoint}` : endpoint.slice(1)) : endpoint;
    const build: BuildOptions = { scriptName: this.environ.SCRIPT_NAME, anchor: options.anchor, method: options.method };
    if (options.external) build.external = { scheme: this.request.scheme, host: this.request.host };
    return this.app.urlMap.build(name, values, build);
  }

  /** Renders a template with `request`, `g`, `config` and `url_for` available to it. */
  renderTemplate(name: string, context: Record<string, unknown> = {}): string {
    return this.app.renderTemplate(name, context, this);
  }

  /** Registers a function to edit this request's response (Flask's `after_this_request`). */
  afterThisRequest(fn: (response: Response) => Response | void): void {
    (this.afterThis ??= []).push(fn);
  }
}

const EMPTY = Object.freeze({});
