import { statSync } from 'node:fs';
import { messageOf } from '@tsgi/errors';
import { joinRule, normalizePrefix, type Blueprint } from './blueprint.js';
import type { TsgiCall } from './callable.js';
import { resolveConfig, type AppConfig, type AppOptions } from './app-config.js';
import { mergeOptions, optionsFromEnv, optionsFromFile, type LoadedOptions } from './config-sources.js';
import type { Context } from './context.js';
import { Dispatcher } from './dispatch.js';
import { RouteError, SetupError } from './errors.js';
import { JsonProvider } from './json-provider.js';
import type { Request } from './request.js';
import type { ConverterClass } from './routing/converters.js';
import { UrlMap, type BuildOptions, type UrlValues } from './routing/url-map.js';
import type { RouteRecord } from './scaffold.js';
import { sendFromDirectory } from './send-file.js';
import { NullSession, Session, SessionSigner } from './session.js';
import { TemplateEngine, keywordArgs } from './templates.js';
import { TestClient } from './testing/test-client.js';
import type { Handler } from './types.js';
import type { View } from './view.js';

// Merged into the class: an App instance is itself a TSGI app (the constructor returns a callable).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging -- the merge is the point: it adds TsgiCall's call signature to the class
export interface App extends TsgiCall {}

type TemplateAddition = { kind: 'filter' | 'global' | 'test'; name: string; value: unknown };

/** A stand-in for `session` in templates that opens the real session on first use. */
function lazySession(ctx: Context<unknown>): object {
  return new Proxy(
    {},
    {
      get(_target, key) {
        if (typeof key !== 'string') return undefined;
        const session = ctx.session;
        const member = (session as unknown as Record<string, unknown>)[key];
        return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(session) : session.get(key);
      },
      has: (_target, key) => typeof key === 'string' && ctx.session.has(key),
    },
  );
}

/** Flask's `config.from_prefixed_env` / `config.from_file`; each returns the new `app.config`. */
export interface ConfigLoaders {
  /** Options from environment variables starting with `prefix` (JSON-decoded values, `__` for nesting). */
  fromPrefixedEnv(prefix: string, env?: Readonly<Record<string, string | undefined>>): AppConfig & ConfigLoaders;
  /** Options from a file: JSON by default, or any `load(text)` such as a TOML parser. Relative paths are in `rootPath`. */
  fromFile(path: string | URL, load?: (text: string) => unknown): AppConfig & ConfigLoaders;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The Flask counterpart. An `App` instance *is* a TSGI app: call it as
 * `app(environ, startResponse)`, or hand it to any TSGI server or middleware.
 *
 * ```ts
 * const app = new App({ templatesFolder: new URL('../templates', import.meta.url) });
 * app.get('/post/<int:post_id>', ({ params }) => `Post ${params.post_id}`);
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface App above
export class App extends Dispatcher {
  private currentConfig: AppConfig & ConfigLoaders;
  private options: AppOptions;
  private staticRouteAdded = false;
  readonly urlMap = new UrlMap();
  /** The JSON provider (Flask's `app.json`): `app.json.sortKeys = false`. */
  readonly json: JsonProvider;
  /** @internal */
  readonly views = new Map<string, View>();
  readonly blueprints = new Map<string, Blueprint>();
  private templates: TemplateEngine | undefined;
  private readonly templateFolders: string[];
  private readonly templateAdditions: TemplateAddition[] = [];
  private signer: SessionSigner | undefined;

  constructor(options: AppOptions = {}) {
    super();
    this.options = options;
    this.currentConfig = this.withLoaders(resolveConfig(options));
    this.json = options.json instanceof JsonProvider ? options.json : new JsonProvider(options.json, () => this.config.debug);
    this.templateFolders = [this.config.templatesFolder];
    this.urlMap.hostMatching = this.config.hostMatching;
    this.configureDispatch();
    this.addAppStaticRoute();
  }

  /**
   * The validated, frozen options (Flask's `app.config`), with Flask's loaders:
   * `app.config.fromPrefixedEnv('APP_')` and `app.config.fromFile('config.json')`
   * merge more options over those of `new App()`, validate them all again
   * (errors name the variable or file key) and replace this object.
   */
  get config(): AppConfig & ConfigLoaders {
    return this.currentConfig;
  }

  private withLoaders(config: AppConfig): AppConfig & ConfigLoaders {
    const loaders: ConfigLoaders = {
      fromPrefixedEnv: (prefix, env = process.env) => this.reconfigure(optionsFromEnv(prefix, env)),
      fromFile: (path, load = JSON.parse) => this.reconfigure(optionsFromFile(path, load, this.currentConfig.rootPath)),
    };
    const copy = { ...config };
    // Not enumerable: templates and JSON dumps of `config` show the options only.
    for (const [name, fn] of Object.entries(loaders)) Object.defineProperty(copy, name, { value: fn });
    return Object.freeze(copy) as AppConfig & ConfigLoaders;
  }

  private reconfigure(loaded: LoadedOptions): AppConfig & ConfigLoaders {
    const merged = mergeOptions(this.options, loaded.options);
    let next: AppConfig;
    try {
      next = resolveConfig(merged);
    } catch (error) {
      const from = [...loaded.sources].filter(([option]) => messageOf(error).includes(option)).map(([, source]) => source);
      throw from.length === 0 ? error : new SetupError('FW_ERR_SETUP', `${messageOf(error)} (from ${from.join(', ')})`, { cause: error });
    }
    const current = this.currentConfig;
    if (this.staticRouteAdded && (next.staticFolder !== current.staticFolder || next.staticUrlPath !== current.staticUrlPath)) {
      const source = loaded.sources.get('staticFolder') ?? loaded.sources.get('staticUrlPath') ?? loaded.sources.get('rootPath');
      throw new SetupError('FW_ERR_SETUP', `staticFolder and staticUrlPath cannot change once the static route exists; give them to new App()${source ? ` (from ${source})` : ''}`);
    }
    this.options = merged;
    this.currentConfig = this.withLoaders(next);
    this.templateFolders[0] = next.templatesFolder;
    this.templates = undefined;
    this.signer = undefined;
    this.urlMap.hostMatching = next.hostMatching;
    // Requests read the limits and host settings fixed here, not the config.
    this.configureDispatch();
    this.addAppStaticRoute();
    return this.currentConfig;
  }

  private addAppStaticRoute(): void {
    const folder = this.config.staticFolder;
    if (this.staticRouteAdded || folder === undefined || !isDirectory(folder)) return;
    this.addStaticRoute(this.config.staticUrlPath, folder, undefined, '');
    this.staticRouteAdded = true;
  }

  protected addRoute(record: RouteRecord): void {
    this.addView(record, [], '', '');
  }

  private addStaticRoute(urlPath: string, folder: string, chain: Blueprint[] | undefined, endpointPrefix: string): void {
    // Read per request: app.config.fromFile / fromPrefixedEnv may change them after the route exists.
    const handler: Handler<{ filename: string }> = (ctx) =>
      sendFromDirectory(ctx.environ, folder, ctx.params.filename, { maxAge: this.config.sendFileMaxAge, ...this.config.staticAccess });
    this.addView({ rule: `${urlPath}/<path:filename>`, handler: handler as Handler<never>, options: { endpoint: 'static' }, identity: handler }, chain ?? [], '', endpointPrefix);
  }

  private addView(record: RouteRecord, chain: Blueprint[], prefix: string, endpointPrefix: string): void {
    const subdomain = record.options.subdomain ?? chain.find((bp) => bp.subdomain !== undefined)?.subdomain;
    if (subdomain !== undefined && record.options.subdomain === undefined) record = { ...record, options: { ...record.options, subdomain } };
    const endpoint = endpointPrefix + record.options.endpoint;
    const existing = this.views.get(endpoint);
    if (existing && existing.identity !== record.identity) {
      throw new RouteError('FW_ERR_ROUTE_ENDPOINT_CONFLICT', record.rule, `endpoint "${endpoint}" is already bound to another handler; pass a distinct { endpoint }`);
    }
    this.urlMap.add(joinRule(prefix, record.rule), { ...record.options, endpoint });
    if (!existing) this.views.set(endpoint, { handler: record.handler, identity: record.identity, blueprints: chain, blueprintName: endpointPrefix ? endpointPrefix.slice(0, -1) : undefined });
  }

  /** Mounts a blueprint (and its nested ones) under its (or the given) prefix; endpoints become `name.endpoint`. */
  registerBlueprint(blueprint: Blueprint, options: { urlPrefix?: string; name?: string } = {}): this {
    this.mount(blueprint, options.name ?? blueprint.name, options.urlPrefix === undefined ? blueprint.urlPrefix : normalizePrefix(options.urlPrefix), []);
    return this;
  }

  private mount(blueprint: Blueprint, name: string, prefix: string, parents: Blueprint[]): void {
    if (this.blueprints.has(name)) throw new SetupError('FW_ERR_SETUP', `a blueprint named "${name}" is already registered; pass a distinct { name }`);
    this.blueprints.set(name, blueprint);
    const chain = [blueprint, ...parents];
    if (blueprint.templateFolder !== undefined) {
      this.templateFolders.push(blueprint.templateFolder);
      this.templates = undefined;
    }
    if (blueprint.staticFolder !== undefined && blueprint.staticUrlPath !== undefined) this.addStaticRoute(prefix + blueprint.staticUrlPath, blueprint.staticFolder, chain, `${name}.`);
    blueprint.attach((record) => this.addView(record, chain, prefix, `${name}.`));
    for (const child of blueprint.children) {
      const childPrefix = child.urlPrefix === undefined ? child.blueprint.urlPrefix : normalizePrefix(child.urlPrefix);
      this.mount(child.blueprint, `${name}.${child.name ?? child.blueprint.name}`, prefix + childPrefix, chain);
    }
  }

  /** Registers a converter for rules added afterwards: `app.registerConverter('hex', HexConverter)`. */
  registerConverter(name: string, converter: ConverterClass): this {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new SetupError('FW_ERR_SETUP', `converter name must be an identifier, got ${JSON.stringify(name)}`);
    this.urlMap.converters.set(name, converter);
    return this;
  }

  /** Reverse routing outside a request (no mount point): `app.urlFor('show_post', { post_id: 3 })`. */
  urlFor(endpoint: string, values: UrlValues = {}, options?: BuildOptions): string {
    const filled: Record<string, unknown> = { ...values };
    this.injectUrlDefaults(endpoint, filled);
    return this.urlMap.build(endpoint, filled, { serverName: this.config.serverName, ...options });
  }

  /** @internal Flask's inject_url_defaults: the app's functions, then the endpoint's blueprints', outermost first. */
  injectUrlDefaults(endpoint: string, values: Record<string, unknown>, ctx?: Context<unknown>): void {
    for (const fn of this.urlDefaultFunctions) fn(endpoint, values, ctx);
    const dot = endpoint.lastIndexOf('.');
    if (dot === -1) return;
    const names = endpoint.slice(0, dot).split('.');
    for (let i = 1; i <= names.length; i++) {
      const blueprint = this.blueprints.get(names.slice(0, i).join('.'));
      if (blueprint) for (const fn of blueprint.urlDefaultFunctions) fn(endpoint, values, ctx);
    }
  }

  /** Adds a template filter (Flask's `template_filter`): `{{ name | reverse }}`. */
  templateFilter(name: string, fn: (...args: never[]) => unknown): this {
    return this.addToTemplates('filter', name, fn);
  }

  /** Adds a template global (Flask's `template_global`). */
  templateGlobal(name: string, value: unknown): this {
    return this.addToTemplates('global', name, value);
  }

  /** Adds a template test (Flask's `template_test`): `{% if n is prime %}`. */
  templateTest(name: string, fn: (...args: never[]) => boolean): this {
    return this.addToTemplates('test', name, fn);
  }

  private addToTemplates(kind: TemplateAddition['kind'], name: string, value: unknown): this {
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new SetupError('FW_ERR_SETUP', `template ${kind} name must be an identifier, got ${JSON.stringify(name)}`);
    if (kind !== 'global' && typeof value !== 'function') throw new SetupError('FW_ERR_SETUP', `template ${kind} "${name}" must be a function`);
    this.templateAdditions.push({ kind, name, value });
    if (this.templates) this.apply(this.templates, { kind, name, value });
    return this;
  }

  private apply(engine: TemplateEngine, addition: TemplateAddition): void {
    if (addition.kind === 'filter') engine.addFilter(addition.name, addition.value as (...args: never[]) => unknown);
    else if (addition.kind === 'test') engine.addTest(addition.name, addition.value as (...args: never[]) => boolean);
    else engine.addGlobal(addition.name, addition.value);
  }

  private engine(): TemplateEngine {
    if (this.templates) return this.templates;
    const engine = new TemplateEngine({ folders: this.templateFolders, noCache: this.config.debug, dumps: (value, indent) => this.json.dumps(value, { indent }) });
    for (const addition of this.templateAdditions) this.apply(engine, addition);
    return (this.templates = engine);
  }

  /** Renders a template from the templates folders; pass the context to get request-aware `url_for`. */
  renderTemplate(name: string, context: Record<string, unknown> = {}, ctx?: Context<unknown>): string {
    return this.engine().render(name, this.templateContext(context, ctx));
  }

  /** Renders template source text (Flask's `render_template_string`). */
  renderTemplateString(source: string, context: Record<string, unknown> = {}, ctx?: Context<unknown>): string {
    return this.engine().renderString(source, this.templateContext(context, ctx));
  }

  private templateContext(context: Record<string, unknown>, ctx: Context<unknown> | undefined): Record<string, unknown> {
    const urlFor = (endpoint: string, ...rest: unknown[]): string => {
      const { _external, _anchor, _method, _scheme, ...values } = keywordArgs(rest);
      const options = { external: _external === undefined ? undefined : _external === true, scheme: _scheme as string | undefined, anchor: _anchor as string | undefined, method: _method as string | undefined };
      return ctx ? ctx.urlFor(endpoint, values, options) : this.urlFor(endpoint, values, { anchor: options.anchor, method: options.method });
    };
    const base: Record<string, unknown> = { config: this.config, url_for: urlFor, request: ctx?.request, g: ctx?.g };
    if (ctx) {
      base['get_flashed_messages'] = (...args: unknown[]) => {
        const { with_categories: withCategories, category_filter: categoryFilter } = keywordArgs(args);
        return ctx.getFlashedMessages({ withCategories: withCategories === true, categoryFilter: categoryFilter as string[] | undefined } as { withCategories: false });
      };
      // Opened only when a template reads it, so pages that ignore the session get no Vary: Cookie.
      // Without a secretKey it is the empty NullSession, as in Flask.
      base['session'] = lazySession(ctx);
    }
    const processors = [this, ...(ctx?.blueprints ?? []).map((name) => this.blueprints.get(name)).reverse()];
    for (const scaffold of processors) if (scaffold && ctx) for (const fn of scaffold.contextProcessors) Object.assign(base, fn(ctx));
    return Object.assign(base, context);
  }

  /** @internal Loads the session of a request (Context.session calls this lazily). */
  openSession(request: Request): Session {
    if (this.config.secretKeys.length === 0) return new NullSession();
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
