import { existsSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { App } from '@tsgi/gateway';
import { AppLoadError } from './errors.js';

export type AppInterface = 'tsgi' | 'fetch' | 'node';
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** A loaded app, tagged with how the worker hosts it. */
export type LoadedApp =
  | { kind: 'tsgi'; app: App }
  | { kind: 'fetch'; handler: FetchHandler }
  | { kind: 'node'; listener: RequestListener };

export interface AppSpec {
  /** Absolute path of the module. */
  file: string;
  /** Export name; undefined: `app`, then `default`. */
  exportName: string | undefined;
}

/** `path/to/mod.js:export` → file + export (the last `:` splits, so `C:`-free paths only). */
export function parseAppSpec(spec: string, cwd: string): AppSpec {
  const colon = spec.lastIndexOf(':');
  const hasExport = colon > 0 && /^[A-Za-z_$][\w$]*$/.test(spec.slice(colon + 1));
  const path = hasExport ? spec.slice(0, colon) : spec;
  return { file: resolve(cwd, path), exportName: hasExport ? spec.slice(colon + 1) : undefined };
}

/** Throws APP_ERR_APP_MODULE_NOT_FOUND before anything is forked. */
export function checkAppModule(spec: string, cwd: string): AppSpec {
  const parsed = parseAppSpec(spec, cwd);
  if (!existsSync(parsed.file)) {
    throw new AppLoadError('APP_ERR_APP_MODULE_NOT_FOUND', `app module not found: ${parsed.file} (from "${spec}")`);
  }
  return parsed;
}

/** Imports the module and picks the export; throws AppLoadError (code says which step failed). */
export async function loadApp(spec: string, cwd: string, iface: AppInterface | 'auto'): Promise<LoadedApp> {
  const parsed = checkAppModule(spec, cwd);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(parsed.file).href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint =
      e.code === 'ERR_UNKNOWN_FILE_EXTENSION' ? ' (a .ts entry needs tsx: node --import tsx, or Node >= 22.18)' : '';
    throw new AppLoadError('APP_ERR_APP_IMPORT_FAILED', `importing ${parsed.file} failed: ${e.message.split('\n')[0]}${hint}`, {
      cause: err,
    });
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
  return classify(mod[name], iface, `${parsed.file}:${name}`);
}

/**
 * Decides the interface where unambiguous: an object with `fetch` (Hono) or
 * a one-argument function is a fetch handler; an Express/Connect app
 * (`handle` + `use`) or a Fastify instance is a Node listener; any other
 * two-argument function is a TSGI app unless `--interface node` says so.
 */
export async function classify(value: unknown, iface: AppInterface | 'auto', where: string): Promise<LoadedApp> {
  const obj = value as Record<string, unknown> & ((...a: unknown[]) => unknown);
  const fastify = typeof value === 'object' && value !== null && typeof obj.routing === 'function' && typeof obj.ready === 'function';
  const hasFetch = (typeof value === 'object' || typeof value === 'function') && value !== null && typeof obj.fetch === 'function';
  const connect = typeof value === 'function' && typeof obj.handle === 'function' && typeof obj.use === 'function';
  let kind: AppInterface | undefined = iface === 'auto' ? undefined : iface;
  if (!kind) {
    if (fastify || connect) kind = 'node';
    else if (hasFetch) kind = 'fetch';
    else if (typeof value === 'function') kind = value.length === 1 ? 'fetch' : 'tsgi';
  }
  if (kind === 'node') {
    if (fastify) {
      await (obj.ready as () => Promise<unknown>)();
      const routing = obj.routing as (req: unknown, res: unknown) => void;
      return { kind, listener: (req, res) => routing(req, res) };
    }
    if (typeof value === 'function') return { kind, listener: value as RequestListener };
  }
  if (kind === 'fetch') {
    if (hasFetch) {
      const fetch = (obj.fetch as FetchHandler).bind(value);
      return { kind, handler: (request) => fetch(request) };
    }
    if (typeof value === 'function') return { kind, handler: value as FetchHandler };
  }
  if (kind === 'tsgi' && typeof value === 'function') return { kind, app: value as App };
  throw new AppLoadError(
    'APP_ERR_APP_INTERFACE_UNKNOWN',
    `${where} is a ${typeof value}, not a TSGI app, fetch handler or Node request listener${iface === 'auto' ? '' : ` (--interface ${iface})`}`,
  );
}
