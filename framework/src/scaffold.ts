import { Callable } from './callable.js';
import type { Context } from './context.js';
import { SetupError } from './errors.js';
import type { HTTPException } from './http-exceptions.js';
import type { RouteParams } from './routing/params-type.js';
import { HOOK_NAMES, type AfterRequestHook, type BeforeRequestHook, type ErrorHandler, type Handler, type HookMap, type HookName, type RouteOptions, type TeardownHook } from './types.js';

/** One route as registered, before prefixes are applied. */
export interface RouteRecord {
  rule: string;
  handler: Handler<never>;
  options: RouteOptions & { endpoint: string };
  /** The function the endpoint is bound to, for conflict checks (decorated methods are bound per use). */
  identity: unknown;
}

/** A TC39 method decorator registering the method as a route. */
export type RouteDecorator<P> = <This, F extends (this: This, ctx: Context<P>) => unknown>(value: F, context: ClassMethodDecoratorContext<This, F>) => void;

/** Endpoint of an anonymous handler: the rule, plus the methods unless it is plain GET. */
function anonymousEndpoint(rule: string, methods: readonly string[] | undefined): string {
  if (methods === undefined || (methods.length === 1 && methods[0]!.toUpperCase() === 'GET')) return rule;
  return `${rule} [${methods.map((m) => m.toUpperCase()).join(',')}]`;
}

/**
 * `(endpoint, values, ctx) => void`: edits `values` in place (undefined when nothing matched).
 * `ctx` is the request being served (Flask reaches it through `g`); undefined for `app.urlFor` outside a request.
 */
export type UrlValueFunction = (endpoint: string | undefined, values: Record<string, unknown> | undefined, ctx: Context<unknown> | undefined) => void;

/** Returns values for the template context. */
export type ContextProcessor = (ctx: Context<unknown>) => Record<string, unknown>;

type ErrorClass<E> = abstract new (...args: never[]) => E;

/**
 * What App and Blueprint share (Flask's `Scaffold`): routes as calls or
 * decorators, hooks and error handlers.
 */
export abstract class Scaffold extends Callable {
  /** @internal */
  readonly hooks: { beforeRequest: BeforeRequestHook[]; afterRequest: AfterRequestHook[]; teardownRequest: TeardownHook[] } = {
    beforeRequest: [],
    afterRequest: [],
    teardownRequest: [],
  };
  /** @internal Flask's url_value_preprocessors: edit the matched values before the hooks run. */
  readonly urlValuePreprocessors: UrlValueFunction[] = [];
  /** @internal Flask's url_default_functions: fill values in when building URLs. */
  readonly urlDefaultFunctions: UrlValueFunction[] = [];
  /** @internal Values merged into every template rendered for this scaffold's requests. */
  readonly contextProcessors: ContextProcessor[] = [];
  /** @internal */
  readonly errorHandlersByCode = new Map<number, ErrorHandler<HTTPException>>();
  /** @internal */
  readonly errorHandlersByClass = new Map<abstract new (...args: never[]) => unknown, ErrorHandler<never>>();

  protected abstract addRoute(record: RouteRecord): void;

  /**
   * Registers a route. With a handler: `app.route('/post/<int:post_id>', (ctx) => ...)`.
   * Without one it returns a method decorator: `@app.route('/') static index() {...}`.
   */
  route<R extends string>(rule: R, handler: Handler<RouteParams<R>>, options?: RouteOptions): this;
  route<R extends string>(rule: R, options?: RouteOptions): RouteDecorator<RouteParams<R>>;
  route<R extends string>(rule: R, handlerOrOptions?: Handler<RouteParams<R>> | RouteOptions, maybeOptions?: RouteOptions): this | RouteDecorator<RouteParams<R>> {
    if (typeof handlerOrOptions === 'function') {
      const options = maybeOptions ?? {};
      const endpoint = options.endpoint ?? (handlerOrOptions.name || anonymousEndpoint(rule, options.methods));
      this.addRoute({ rule, handler: handlerOrOptions as Handler<never>, options: { ...options, endpoint }, identity: handlerOrOptions });
      return this;
    }
    const options = handlerOrOptions ?? {};
    // The initializer's own `this` is the class or instance, so keep the scaffold here.
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the initializer below needs both `this`es
    const scaffold = this;
    return (value, context) => {
      if (context.private || typeof context.name !== 'string') {
        throw new SetupError('FW_ERR_SETUP', `@route('${rule}') needs a public, string-named method`);
      }
      const endpoint = options.endpoint ?? context.name;
      let registered = false;
      // Static methods initialise with the class, instance methods with the first instance.
      context.addInitializer(function (this: unknown) {
        if (registered) return;
        registered = true;
        const bound = (ctx: Context<never>) => value.call(this as never, ctx as never);
        scaffold.addRoute({ rule, handler: bound as Handler<never>, options: { ...options, endpoint }, identity: value });
      });
    };
  }

  /** GET route (HEAD and OPTIONS follow). */
  get<R extends string>(rule: R, handler: Handler<RouteParams<R>>, options?: Omit<RouteOptions, 'methods'>): this;
  get<R extends string>(rule: R, options?: Omit<RouteOptions, 'methods'>): RouteDecorator<RouteParams<R>>;
  get<R extends string>(rule: R, a?: Handler<RouteParams<R>> | Omit<RouteOptions, 'methods'>, b?: Omit<RouteOptions, 'methods'>): this | RouteDecorator<RouteParams<R>> {
    return this.method('GET', rule, a, b);
  }

  post<R extends string>(rule: R, handler: Handler<RouteParams<R>>, options?: Omit<RouteOptions, 'methods'>): this;
  post<R extends string>(rule: R, options?: Omit<RouteOptions, 'methods'>): RouteDecorator<RouteParams<R>>;
  post<R extends string>(rule: R, a?: Handler<RouteParams<R>> | Omit<RouteOptions, 'methods'>, b?: Omit<RouteOptions, 'methods'>): this | RouteDecorator<RouteParams<R>> {
    return this.method('POST', rule, a, b);
  }

  put<R extends string>(rule: R, handler: Handler<RouteParams<R>>, options?: Omit<RouteOptions, 'methods'>): this;
  put<R extends string>(rule: R, options?: Omit<RouteOptions, 'methods'>): RouteDecorator<RouteParams<R>>;
  put<R extends string>(rule: R, a?: Handler<RouteParams<R>> | Omit<RouteOptions, 'methods'>, b?: Omit<RouteOptions, 'methods'>): this | RouteDecorator<RouteParams<R>> {
    return this.method('PUT', rule, a, b);
  }

  patch<R extends string>(rule: R, handler: Handler<RouteParams<R>>, options?: Omit<RouteOptions, 'methods'>): this;
  patch<R extends string>(rule: R, options?: Omit<RouteOptions, 'methods'>): RouteDecorator<RouteParams<R>>;
  patch<R extends string>(rule: R, a?: Handler<RouteParams<R>> | Omit<RouteOptions, 'methods'>, b?: Omit<RouteOptions, 'methods'>): this | RouteDecorator<RouteParams<R>> {
    return this.method('PATCH', rule, a, b);
  }

  delete<R extends string>(rule: R, handler: Handler<RouteParams<R>>, options?: Omit<RouteOptions, 'methods'>): this;
  delete<R extends string>(rule: R, options?: Omit<RouteOptions, 'methods'>): RouteDecorator<RouteParams<R>>;
  delete<R extends string>(rule: R, a?: Handler<RouteParams<R>> | Omit<RouteOptions, 'methods'>, b?: Omit<RouteOptions, 'methods'>): this | RouteDecorator<RouteParams<R>> {
    return this.method('DELETE', rule, a, b);
  }

  private method<R extends string>(method: string, rule: R, a?: Handler<RouteParams<R>> | Omit<RouteOptions, 'methods'>, b?: Omit<RouteOptions, 'methods'>): this | RouteDecorator<RouteParams<R>> {
    if (typeof a === 'function') return this.route(rule, a, { ...b, methods: [method] });
    return this.route(rule, { ...a, methods: [method] });
  }

  /** Adds a hook by name; the names are a fixed list (FW_ERR_HOOK_UNKNOWN otherwise). */
  addHook<N extends HookName>(name: N, hook: HookMap[N]): this {
    if (!(HOOK_NAMES as readonly string[]).includes(name)) throw new SetupError('FW_ERR_HOOK_UNKNOWN', `unknown hook "${String(name)}"; known hooks: ${HOOK_NAMES.join(', ')}`);
    if (typeof hook !== 'function') throw new SetupError('FW_ERR_SETUP', `hook ${name} must be a function`);
    (this.hooks[name] as Array<HookMap[N]>).push(hook);
    return this;
  }

  /** Runs before each request (of this blueprint); a return value other than undefined short-circuits. */
  beforeRequest(hook: BeforeRequestHook): this {
    return this.addHook('beforeRequest', hook);
  }

  /** Runs after the handler with the response; hooks run in reverse registration order, as Flask's. */
  afterRequest(hook: AfterRequestHook): this {
    return this.addHook('afterRequest', hook);
  }

  /** Runs when the request is finished, even after errors. */
  teardownRequest(hook: TeardownHook): this {
    return this.addHook('teardownRequest', hook);
  }

  /** Edits the matched URL values before the request hooks run (Flask's `url_value_preprocessor`). */
  urlValuePreprocessor(fn: UrlValueFunction): this {
    if (typeof fn !== 'function') throw new SetupError('FW_ERR_SETUP', 'urlValuePreprocessor needs a function');
    this.urlValuePreprocessors.push(fn);
    return this;
  }

  /** Fills values in before a URL of this scaffold is built (Flask's `url_defaults`). */
  urlDefaults(fn: UrlValueFunction): this {
    if (typeof fn !== 'function') throw new SetupError('FW_ERR_SETUP', 'urlDefaults needs a function');
    this.urlDefaultFunctions.push(fn);
    return this;
  }

  /** Adds values to every template context (Flask's `context_processor`). */
  contextProcessor(fn: ContextProcessor): this {
    if (typeof fn !== 'function') throw new SetupError('FW_ERR_SETUP', 'contextProcessor needs a function');
    this.contextProcessors.push(fn);
    return this;
  }

  /** Handles errors by HTTP status (`404`) or by class (the nearest superclass wins). */
  errorHandler(status: number, handler: ErrorHandler<HTTPException>): this;
  errorHandler<E>(errorClass: ErrorClass<E>, handler: ErrorHandler<E>): this;
  errorHandler<E>(key: number | ErrorClass<E>, handler: ErrorHandler<E> | ErrorHandler<HTTPException>): this {
    if (typeof handler !== 'function') throw new SetupError('FW_ERR_SETUP', 'an error handler must be a function');
    if (typeof key === 'number') {
      if (!Number.isInteger(key) || key < 400 || key > 599) throw new SetupError('FW_ERR_SETUP', `errorHandler status must be 4xx or 5xx, got ${key}`);
      this.errorHandlersByCode.set(key, handler as ErrorHandler<HTTPException>);
    } else if (typeof key === 'function') {
      this.errorHandlersByClass.set(key, handler as ErrorHandler<never>);
    } else {
      throw new SetupError('FW_ERR_SETUP', 'errorHandler needs a status code or an error class');
    }
    return this;
  }
}
