import { joinRule, normalizePrefix, type Blueprint } from './blueprint.js';
import type { TsgiCall } from './callable.js';
import { resolveConfig, type AppConfig, type AppOptions } from './app-config.js';
import type { Context } from './context.js';
import { createDispatcher } from './dispatch.js';
import { RouteError, SetupError } from './errors.js';
import type { Request } from './request.js';
import type { ConverterClass } from './routing/converters.js';
import { UrlMap, type BuildOptions, type UrlValues } from './routing/url-map.js';
import { Scaffold, type RouteRecord } from './scaffold.js';
import { Session, SessionSigner } from './session.js';
import { TemplateEngine, keywordArgs } from './templates.js';
import { TestClient } from './testing/test-client.js';
import type { Handler } from './types.js';

/** @internal A registered endpoint. */
export interface View {
  handler: Handler<never>;
  identity: unknown;
  blueprint: Blueprint | undefined;
  /** The name the blueprint was registered under (differs from `blueprint.name` for a second registration). */
  blueprintName: string | undefined;
}

// Merged into the class: an App instance is itself a TSGI app.
export interface App extends TsgiCall {}

/**
 * The Flask counterpart. An `App` instance *is* a TSGI app: call it as
 * `app(environ, startResponse)`, or hand it to any TSGI server or middleware.
 *
 * ```ts
 * const app = new App({ templatesFolder: new URL('../templates', import.meta.url) });
 * app.get('/post/<int:post_id>', ({ params }) => `Post ${params.post_id}`);
 * ```
 */
export class App extends Scaffold {
  readonly config: AppConfig;
  readonly urlMap = new UrlMap();
  /** @internal */
  readonly views = new Map<string, View>();
  readonly blueprints = new Map<string, Blueprint>();
  private templates: TemplateEngine | undefined;
  private signer: SessionSigner | undefined;

  constructor(options: AppOptions = {}) {
    super();
    this.config = resolveConfig(options);
    this.setCall(createDispatcher(this));
  }

  protected addRoute(record: RouteRecord): void {
    this.addView(record, undefined, '', '');
  }

  private addView(record: RouteRecord, blueprint: Blueprint | undefined, prefix: string, endpointPrefix: string): void {
    const endpoint = endpointPrefix + record.options.endpoint;
    const existing = this.views.get(endpoint);
    if (existing && existing.identity !== record.identity) {
      throw new RouteError('FW_ERR_ROUTE_ENDPOINT_CONFLICT', record.rule, `endpoint "${endpoint}" is already bound to another handler; pass a distinct { endpoint }`);
    }
    this.urlMap.add(joinRule(prefix, record.rule), { ...record.options, endpoint });
    if (!existing) this.views.set(endpoint, { handler: record.handler, identity: record.identity, blueprint, blueprintName: blueprint ? endpointPrefix.slice(0, -1) : undefined });
  }

  /** Mounts a blueprint's routes under its (or the given) prefix; endpoints become `name.endpoint`. */
  registerBlueprint(blueprint: Blueprint, options: { urlPrefix?: string; name?: string } = {}): this {
    const name = options.name ?? blueprint.name;
    if (this.blueprints.has(name)) throw new SetupError('FW_ERR_SETUP', `a blueprint named "${name}" is already registered; pass a distinct { name }`);
    this.blueprints.set(name, blueprint);
    const prefix = options.urlPrefix === undefined ? blueprint.urlPrefix : normalizePrefix(options.urlPrefix);
    blueprint.attach((record) => this.addView(record, blueprint, prefix, `${name}.`));
    return this;
  }

  /** Registers a converter for rules added afterwards: `app.registerConverter('hex', HexConverter)`. */
  registerConverter(name: string, converter: ConverterClass): this {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new SetupError('FW_ERR_SETUP', `converter name must be an identifier, got ${JSON.stringify(name)}`);
    this.urlMap.converters.set(name, converter);
    return this;
  }

  /** Reverse routing outside a request (no mount point): `app.urlFor('show_post', { post_id: 3 })`. */
  urlFor(endpoint: string, values?: UrlValues, options?: BuildOptions): string {
    return this.urlMap.build(endpoint, values, options);
  }

  /** Renders a template from the templates folder; pass the context to get request-aware `url_for`. */
  renderTemplate(name: string, context: Record<string, unknown> = {}, ctx?: Context<unknown>): string {
    const engine = (this.templates ??= new TemplateEngine({ folder: this.config.templatesFolder, noCache: this.config.debug }));
    return engine.render(name, this.templateContext(context, ctx));
  }

  /** Renders template source text (Flask's `render_template_string`). */
  renderTemplateString(source: string, context: Record<string, unknown> = {}, ctx?: Context<unknown>): string {
    const engine = (this.templates ??= new TemplateEngine({ folder: this.config.templatesFolder, noCache: this.config.debug }));
    return engine.renderString(source, this.templateContext(context, ctx));
  }

  private templateContext(context: Record<string, unknown>, ctx: Context<unknown> | undefined): Record<string, unknown> {
    const urlFor = (endpoint: string, ...rest: unknown[]): string => {
      const { _external, _anchor, _method, ...values } = keywordArgs(rest);
      const options = { external: _external === true, anchor: _anchor as string | undefined, method: _method as string | undefined };
      return ctx ? ctx.urlFor(endpoint, values, options) : this.urlFor(endpoint, values, { anchor: options.anchor, method: options.method });
    };
    return { config: this.config, url_for: urlFor, request: ctx?.request, g: ctx?.g, ...context };
  }

  /** @internal Loads the session of a request (Context.session calls this lazily). */
  openSession(request: Request): Session {
    if (this.config.secretKeys.length === 0) throw new SetupError('FW_ERR_SESSION_NO_SECRET', 'the session is unavailable because no secretKey was set on the App');
    this.signer ??= new SessionSigner(this.config.secretKeys);
    const cookie = request.cookies[this.config.session.cookieName];
    return new Session(cookie === undefined ? undefined : this.signer.unsign(cookie, this.config.session.lifetimeSeconds));
  }

  /** @internal The Set-Cookie value for a session. */
  signSession(session: Session): string {
    this.signer ??= new SessionSigner(this.config.secretKeys);
    return this.signer.sign(session.toJSON());
  }

  /** An in-process client driving this app through the TSGI interface (no sockets), keeping cookies. */
  testClient(options?: ConstructorParameters<typeof TestClient>[1]): TestClient {
    return new TestClient(this, options);
  }
}
