import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { messageOf, errorCode } from '@tsgi/errors';
import type { AppOptions } from './app-config.js';
import { SetupError } from './errors.js';

/**
 * Options read from outside the code (Flask's `config.from_prefixed_env` and
 * `config.from_file`). They are merged over the options given to `new App()`
 * and validated by the same `resolveConfig`; these helpers only read, name
 * and shape them.
 */

/** What a source may set: every option but those only code can build (a JsonProvider instance). */
export const LOADABLE_OPTIONS: readonly string[] = [
  'debug', 'rootPath', 'secretKey', 'templatesFolder', 'maxContentLength', 'maxFormParts', 'maxFormMemorySize',
  'session', 'staticFolder', 'staticUrlPath', 'staticAccess', 'sendFileMaxAge', 'serverName', 'subdomainMatching', 'hostMatching',
];

/** Options read from one source, and for each top-level option where it came from (for error messages). */
export interface LoadedOptions {
  options: Partial<AppOptions>;
  sources: Map<string, string>;
}

/** `SECRET_KEY` and `secret_key` → `secretKey`; a camelCase name stays as it is. */
export function optionName(key: string): string {
  if (!/^[A-Z0-9_]+$/.test(key) && !key.includes('_')) return key;
  return key.toLowerCase().replace(/_+([a-z0-9])/g, (_match, c: string) => c.toUpperCase());
}

function unknownOption(key: string, source: string): SetupError {
  return new SetupError('FW_ERR_SETUP', `${source}: ${JSON.stringify(key)} is not an app option (known: ${LOADABLE_OPTIONS.join(', ')})`);
}

/**
 * Flask's from_prefixed_env: every variable starting with `prefix` (an `_` is
 * added when missing), value JSON-decoded when it parses (`true`, `16777216`,
 * `["new", "old"]`), else the string; `__` goes one level down
 * (`APP_SESSION__COOKIE_NAME` → `session.cookieName`). Variables are read in
 * sorted order, so a nested key after its parent wins, as in Flask.
 */
export function optionsFromEnv(prefix: string, env: Readonly<Record<string, string | undefined>>): LoadedOptions {
  if (typeof prefix !== 'string' || prefix === '') throw new SetupError('FW_ERR_SETUP', `fromPrefixedEnv: prefix must be a non-empty string, got ${JSON.stringify(prefix)}`);
  const start = prefix.endsWith('_') ? prefix : `${prefix}_`;
  const options: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const variable of Object.keys(env).filter((k) => k.startsWith(start)).sort()) {
    const raw = env[variable];
    if (raw === undefined) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    const path = variable.slice(start.length).split('__').map(optionName);
    const top = path[0]!;
    if (!LOADABLE_OPTIONS.includes(top)) throw unknownOption(top, `environment variable ${variable}`);
    sources.set(top, variable);
    let target = options;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      target = (target[key] = next !== null && typeof next === 'object' && !Array.isArray(next) ? { ...next } : {}) as Record<string, unknown>;
    }
    target[path[path.length - 1]!] = value;
  }
  return { options: options as Partial<AppOptions>, sources };
}

/**
 * Flask's from_file: the file's text through `load` (default `JSON.parse`;
 * a TOML or YAML parser works the same: `fromFile('app.toml', TOML.parse)`),
 * which must give an object of options (camelCase or Flask's UPPER_CASE names).
 * A relative path is found in the app's `rootPath`.
 */
export function optionsFromFile(path: string | URL, load: (text: string) => unknown, rootPath: string): LoadedOptions {
  const file = path instanceof URL ? fileURLToPath(path) : typeof path === 'string' && path.startsWith('file:') ? fileURLToPath(path) : resolve(rootPath, String(path));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new SetupError('FW_ERR_SETUP', `config file ${JSON.stringify(file)}: ${errorCode(cause) ?? messageOf(cause)}`, { cause });
  }
  let data: unknown;
  try {
    data = load(text);
  } catch (cause) {
    throw new SetupError('FW_ERR_SETUP', `config file ${JSON.stringify(file)}: ${messageOf(cause)}`, { cause });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new SetupError('FW_ERR_SETUP', `config file ${JSON.stringify(file)}: must hold an object of options, got ${Array.isArray(data) ? 'an array' : JSON.stringify(data)}`);
  }
  const options: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const [key, value] of Object.entries(data)) {
    const name = optionName(key);
    if (!LOADABLE_OPTIONS.includes(name)) throw unknownOption(key, `config file ${JSON.stringify(file)}`);
    options[name] = value;
    sources.set(name, `${file}: ${key}`);
  }
  return { options: options as Partial<AppOptions>, sources };
}

/** `over` merged into `base`, objects one level deep merged key by key (session.cookie too). */
export function mergeOptions(base: AppOptions, over: Partial<AppOptions>): AppOptions {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(out[key], value);
  return out as AppOptions;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(out[key], value);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof URL);
}
