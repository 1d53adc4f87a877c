import { existsSync } from 'node:fs';
import type { RequestListener, Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { describeImportFailure, parseAppSpec, type App, type AppSpec } from '@tsgi/gateway';
import { AppLoadError } from './errors.js';

export { parseAppSpec, describeImportFailure, type AppSpec };

export type AppInterface = 'tsgi' | 'fetch' | 'node';
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/**
 * Optional exports of the app module besides the app (README, "WebSocket and other upgrades", "Shutdown"):
 * `onServer(server)` runs once per worker server before it listens (attach `ws`, socket.io there),
 * `upgrade(req, socket, head)` answers upgrade requests, `onShutdown(reason)` runs when the worker stops.
 */
export interface AppHooks {
  onServer?: (server: Server) => void | Promise<void>;
  upgrade?: (...args: unknown[]) => void;
  onShutdown?: (reason: string) => unknown;
}

/** What the worker runs when it stops, besides `onShutdown`: a Fastify instance's `close()` (its onClose hooks). */
interface Closable {
  close?: () => Promise<unknown>;
}

/** A loaded app, tagged with how the worker hosts it. */
export type LoadedApp = (
  | { kind: 'tsgi'; app: App }
  | { kind: 'fetch'; handler: FetchHandler }
  | ({ kind: 'node'; listener: RequestListener } & NodeAppExtras)
) & { hooks: AppHooks };

/** What a node-interface app may bring beyond its listener. */
export interface NodeAppExtras {
  /** A framework's own http.Server whose `upgrade` listeners (e.g. @fastify/websocket's) get our servers' upgrades. */
  upgradeServer?: Server;
  /** Framework shutdown (Fastify `close()`), run with the app's hooks. */
  close?: () => Promise<unknown>;
}

/** Throws APP_ERR_APP_MODULE_NOT_FOUND before anything is forked. */
export function checkAppModule(spec: string, cwd: string): AppSpec {
  const parsed = parseAppSpec(spec, cwd);
  if (!existsSync(parsed.file)) {
    throw new AppLoadError('APP_ERR_APP_MODULE_NOT_FOUND', `app module not found: ${parsed.file} (from "${spec}")`);
  }
  return parsed;
}

/** Imports the module and picks the export; throws AppLoadError (code says which step failed; APP_ERR_APP_DEBUG: a debug app without `allowDebug`). */
export async function loadApp(spec: string, cwd: string, iface: AppInterface | 'auto', allowDebug = false): Promise<LoadedApp> {
  const parsed = checkAppModule(spec, cwd);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(parsed.file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new AppLoadError('APP_ERR_APP_IMPORT_FAILED', describeImportFailure(parsed.file, err), { cause: err });
  }
  const names = parsed.exportName ? [parsed.exportName] : ['app', 'default'];
  const name = names.find((n) => mod[n] !== undefined && mod[n] !== null);
  if (!name) {
    const exported = Object.keys(mod).join(', ') || 'none';
    throw new AppLoadError(
      'APP_ERR_APP_EXPORT_MISSING',
      `${parsed.file} has no export "${names.join('" or "')}" (exports: ${exported})`,
    );
  }
  const loaded = await classify(mod[name], iface, `${parsed.file}:${name}`);
  // The module's own hooks win over those a framework brings (Next.js's upgrade handler).
  loaded.hooks = { ...loaded.hooks, ...appHooks(mod, parsed.file) };
  if (!allowDebug) refuseDebug(mod[name], `${parsed.file}:${name}`);
  return loaded;
}

/**
 * A production server never serves a debug app (its error page shows requests
 * and stacks to every client): TSGI_DEBUG=1, or an app whose `config.debug`
 * is true (@tsgi/framework's App, `debug: true`), is refused unless
 * --allow-debug.
 */
function refuseDebug(app: unknown, where: string): void {
  const fromEnv = process.env.TSGI_DEBUG === '1';
  const config = (app as { config?: { debug?: unknown } } | null)?.config;
  if (!fromEnv && config?.debug !== true) return;
  const why = fromEnv ? 'TSGI_DEBUG=1' : 'its config has debug: true';
  throw new AppLoadError(
    'APP_ERR_APP_DEBUG',
    `${where} runs in debug mode (${why}): its error page shows requests and stack traces to every client; turn debug off, or pass --allow-debug (development only)`,
  );
}

function appHooks(mod: Record<string, unknown>, file: string): AppHooks {
  const hooks: AppHooks = {};
  for (const key of ['onServer', 'upgrade', 'onShutdown'] as const) {
    const v = mod[key];
    if (v === undefined) continue;
    if (typeof v !== 'function') throw new AppLoadError('APP_ERR_APP_INTERFACE_UNKNOWN', `${file}: export "${key}" must be a function, not a ${typeof v}`);
    hooks[key] = v as never;
  }
  return hooks;
}

/**
 * Next.js's custom-server object (`next({ dir })`): prepared here, then its request handler is the
 * listener and its upgrade handler (rewrites to WebSocket upstreams, HMR in dev) answers upgrades.
 */
interface NextServerLike {
  prepare: () => Promise<unknown>;
  getRequestHandler: () => RequestListener;
  getUpgradeHandler?: () => NonNullable<AppHooks['upgrade']>;
  close?: () => Promise<unknown>;
}

function isNextServer(value: unknown): value is NextServerLike {
  const obj = value as Partial<Record<keyof NextServerLike, unknown>> | null;
  return typeof value === 'object' && value !== null && typeof obj?.prepare === 'function' && typeof obj.getRequestHandler === 'function';
}

/**
 * Decides the interface where unambiguous: an object with `fetch` (Hono) or
 * a one-argument function is a fetch handler; an Express/Connect app
 * (`handle` + `use`), a Fastify instance or a Next.js server (`next({ dir })`)
 * is a Node listener; any other two-argument function is a TSGI app unless
 * `--interface node` says so.
 */
export async function classify(value: unknown, iface: AppInterface | 'auto', where: string): Promise<LoadedApp> {
  const obj = value as Record<string, unknown> & ((...a: unknown[]) => unknown) & Closable;
  const fastify = typeof value === 'object' && value !== null && typeof obj.routing === 'function' && typeof obj.ready === 'function';
  const hasFetch = (typeof value === 'object' || typeof value === 'function') && value !== null && typeof obj.fetch === 'function';
  const connect = typeof value === 'function' && typeof obj.handle === 'function' && typeof obj.use === 'function';
  const koa = isKoaApp(value);
  const koaCallback = isKoaCallback(value);
  let kind: AppInterface | undefined = iface === 'auto' ? undefined : iface;
  if (!kind) {
    if (fastify || connect || koa || koaCallback || isNextServer(value)) kind = 'node';
    else if (hasFetch) kind = 'fetch';
    else if (typeof value === 'function') kind = value.length === 1 ? 'fetch' : 'tsgi';
  }
  const hooks: AppHooks = {};
  if (kind === 'node') {
    if (fastify) {
      await (obj.ready as () => Promise<unknown>)();
      const routing = obj.routing as (req: unknown, res: unknown) => void;
      const own = obj.server as Server | undefined;
      // Requests go through the listeners on Fastify's own (never listening) server when it has any, so a library
      // that wrapped them there (fastify-socket.io's engine.io `attach`) sees its requests; its upgrades likewise.
      const listener: RequestListener = own && own.listenerCount('request') > 0 ? (req, res) => own.emit('request', req, res) : (req, res) => routing(req, res);
      return { kind, listener, upgradeServer: own, close: () => obj.close!(), hooks };
    }
    if (isNextServer(value)) {
      await value.prepare();
      if (value.getUpgradeHandler) hooks.upgrade = value.getUpgradeHandler();
      const close = value.close?.bind(value);
      return { kind, listener: value.getRequestHandler(), ...(close ? { close } : {}), hooks };
    }
    // A Koa app is not itself a listener; its callback() is.
    if (koa) return { kind, listener: (obj.callback as () => RequestListener).call(value), hooks };
    if (typeof value === 'function') return { kind, listener: value as RequestListener, hooks };
  }
  if (koa || koaCallback) {
    throw new AppLoadError(
      'APP_ERR_APP_INTERFACE_UNKNOWN',
      `${where} is a Koa ${koa ? 'app' : 'callback()'}, a Node request listener: run it with --interface node (or auto), not --interface ${kind}`,
    );
  }
  if (kind === 'fetch') {
    if (hasFetch) {
      const fetch = (obj.fetch as FetchHandler).bind(value);
      return { kind, handler: (request) => fetch(request), hooks };
    }
    if (typeof value === 'function') return { kind, handler: value as FetchHandler, hooks };
  }
  if (kind === 'tsgi' && typeof value === 'function') return { kind, app: value as App, hooks };
  throw new AppLoadError(
    'APP_ERR_APP_INTERFACE_UNKNOWN',
    `${where} is a ${typeof value}, not a TSGI app, fetch handler or Node request listener${iface === 'auto' ? '' : ` (--interface ${iface})`}`,
  );
}

/** A Koa instance: an EventEmitter with `callback()`, `use()` and its middleware array. */
function isKoaApp(value: unknown): boolean {
  const o = value as Record<string, unknown> | null;
  return typeof value === 'object' && o !== null && typeof o.callback === 'function' && typeof o.use === 'function' && Array.isArray(o.middleware) && typeof o.createContext === 'function';
}

/**
 * Koa's `app.callback()`: a two-argument function Koa names `handleRequest`
 * that builds a Koa context (its source calls `createContext`), so a TSGI
 * app that happens to share the name is not taken for it.
 */
function isKoaCallback(value: unknown): boolean {
  return typeof value === 'function' && value.name === 'handleRequest' && value.length === 2 && Function.prototype.toString.call(value).includes('createContext(');
}
