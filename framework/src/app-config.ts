import { statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SetupError } from './errors.js';
import type { JsonOptions, JsonProvider } from './json-provider.js';
import { DEFAULT_SESSION_OPTIONS, type SessionOptions } from './session.js';
import { TOKEN_RE } from '@tsgi/http1';
import type { InsideRootPolicy } from '@tsgi/gateway';

/** Options of `new App()`; validated once, every problem reported together. */
export interface AppOptions {
  /**
   * Debug mode: the debug error page (the request and the stack) on 500s,
   * templates re-read on each render. Default: on only when TSGI_DEBUG=1
   * (`tsgi run --debug` sets it). tsgi-appserver refuses a debug app unless
   * --allow-debug. Never in production.
   */
  debug?: boolean;
  /** Signs session cookies; several keys rotate (the first signs, all verify). */
  secretKey?: string | readonly string[];
  /**
   * The folder relative `templatesFolder` and `staticFolder` are found in
   * (Flask's `root_path`, from the import name): a folder, or a module's URL,
   * `rootPath: import.meta.url`, which means that module's folder. Default: the
   * current working directory.
   */
  rootPath?: string | URL;
  /** Templates folder: absolute path, `file:` URL (e.g. `new URL('../templates', import.meta.url)`) or relative to `rootPath`; default `templates`. */
  templatesFolder?: string | URL;
  /** Largest request body in bytes (Flask's MAX_CONTENT_LENGTH); default 16 MiB. */
  maxContentLength?: number;
  /** Most parts in one multipart body; default 1000. */
  maxFormParts?: number;
  /**
   * Largest non-file multipart field, and largest urlencoded body, held in memory
   * (Flask 3.1's MAX_FORM_MEMORY_SIZE); more gives 413. Default 500 000 bytes.
   */
  maxFormMemorySize?: number;
  /** Session cookie settings. */
  session?: Partial<SessionOptions>;
  /**
   * Static files folder served at `staticUrlPath` as endpoint `static` (Flask's
   * `static_folder`): path, `file:` URL or relative to `rootPath`; default
   * `static`, served when that folder exists; null: none.
   */
  staticFolder?: string | URL | null;
  /** URL path of the static files (default `/<basename of staticFolder>`). */
  staticUrlPath?: string;
  /**
   * What the static endpoints (the app's and its blueprints') may serve beyond
   * the safe default, which refuses dot-entries (`.env`) and symlinks leaving
   * the folder with 404, as the `staticFiles` middleware does (Flask serves both).
   */
  staticAccess?: InsideRootPolicy;
  /** Default Cache-Control max-age of send_file in seconds (Flask's SEND_FILE_MAX_AGE_DEFAULT, default none: `no-cache`). */
  sendFileMaxAge?: number | null;
  /** JSON provider settings, or a provider of your own (a JsonProvider subclass; Flask's `json_provider_class`). */
  json?: JsonOptions | JsonProvider;
  /** The app's host (Flask's SERVER_NAME), e.g. `example.com` or `localhost:5000`; subdomains are matched against it. */
  serverName?: string;
  /** Match routes' `subdomain` against the request host below `serverName` (Flask's `subdomain_matching`). */
  subdomainMatching?: boolean;
  /** Match routes' `host` against the request host (Flask's `host_matching`). */
  hostMatching?: boolean;
}

export interface AppConfig {
  readonly debug: boolean;
  readonly rootPath: string;
  readonly secretKeys: readonly string[];
  readonly templatesFolder: string;
  readonly maxContentLength: number;
  readonly maxFormParts: number;
  readonly maxFormMemorySize: number;
  readonly session: Readonly<SessionOptions>;
  readonly staticFolder: string | undefined;
  readonly staticUrlPath: string;
  readonly staticAccess: Readonly<InsideRootPolicy>;
  readonly sendFileMaxAge: number | null;
  readonly serverName: string | undefined;
  readonly subdomainMatching: boolean;
  readonly hostMatching: boolean;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** The folder of `rootPath`: a module's URL or file path means its folder. */
function rootFolder(rootPath: string | URL | undefined, problems: string[]): string {
  if (rootPath === undefined) return process.cwd();
  let path: string;
  if (rootPath instanceof URL) path = fileURLToPath(rootPath);
  else if (typeof rootPath === 'string' && rootPath !== '') path = rootPath.startsWith('file:') ? fileURLToPath(rootPath) : resolve(rootPath);
  else {
    problems.push(`rootPath must be a folder, a module URL or path, got ${JSON.stringify(rootPath)}`);
    return process.cwd();
  }
  try {
    return statSync(path).isFile() ? dirname(path) : path;
  } catch {
    return path;
  }
}

/** A folder option: a URL, a `file:` string, or a path resolved from the root folder. */
function folderOf(value: string | URL, root: string): string {
  if (value instanceof URL) return fileURLToPath(value);
  return value.startsWith('file:') ? fileURLToPath(value) : resolve(root, value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Validates and freezes app options; throws one SetupError listing every problem. */
export function resolveConfig(options: AppOptions): AppConfig {
  const problems: string[] = [];
  const root = rootFolder(options.rootPath, problems);
  const { debug = process.env.TSGI_DEBUG === '1', secretKey, templatesFolder = 'templates', maxContentLength = 16 * 1024 * 1024, maxFormParts = 1000, maxFormMemorySize = 500_000, session = {} } = options;
  if (typeof debug !== 'boolean') problems.push(`debug must be a boolean, got ${JSON.stringify(debug)}`);
  const secretKeys = secretKey === undefined ? [] : typeof secretKey === 'string' ? [secretKey] : [...secretKey];
  if (secretKeys.some((key) => typeof key !== 'string' || key.length === 0)) problems.push('secretKey must be a non-empty string or a list of them');
  if (!isCount(maxContentLength) && maxContentLength !== Number.POSITIVE_INFINITY) problems.push(`maxContentLength must be a positive integer, got ${JSON.stringify(maxContentLength)}`);
  if (!isCount(maxFormParts)) problems.push(`maxFormParts must be a positive integer, got ${JSON.stringify(maxFormParts)}`);
  if (!isCount(maxFormMemorySize) && maxFormMemorySize !== Number.POSITIVE_INFINITY) problems.push(`maxFormMemorySize must be a positive integer, got ${JSON.stringify(maxFormMemorySize)}`);
  let folder = '';
  if (templatesFolder instanceof URL || (typeof templatesFolder === 'string' && templatesFolder !== '')) folder = folderOf(templatesFolder, root);
  else problems.push(`templatesFolder must be a path or file URL, got ${JSON.stringify(templatesFolder)}`);
  const sessionOptions: SessionOptions = { ...DEFAULT_SESSION_OPTIONS, ...session, cookie: { ...DEFAULT_SESSION_OPTIONS.cookie, ...session.cookie } };
  if (!isCount(sessionOptions.lifetimeSeconds)) problems.push(`session.lifetimeSeconds must be a positive integer, got ${JSON.stringify(sessionOptions.lifetimeSeconds)}`);
  if (!TOKEN_RE.test(sessionOptions.cookieName)) problems.push(`session.cookieName must be a cookie token, got ${JSON.stringify(sessionOptions.cookieName)}`);
  const { staticFolder = 'static', staticUrlPath, sendFileMaxAge = null, staticAccess = {} } = options;
  if (staticAccess === null || typeof staticAccess !== 'object') problems.push(`staticAccess must be an object, got ${JSON.stringify(staticAccess)}`);
  else {
    for (const [key, value] of Object.entries(staticAccess)) {
      if (key !== 'dotfiles' && key !== 'symlinksOutsideRoot') problems.push(`staticAccess.${key} is not an option (dotfiles, symlinksOutsideRoot)`);
      else if (typeof value !== 'boolean') problems.push(`staticAccess.${key} must be a boolean, got ${JSON.stringify(value)}`);
    }
  }
  let statics: string | undefined;
  if (staticFolder instanceof URL || (typeof staticFolder === 'string' && staticFolder !== '')) statics = folderOf(staticFolder, root);
  else if (staticFolder !== null) problems.push(`staticFolder must be a path, a file URL or null, got ${JSON.stringify(staticFolder)}`);
  const urlPath = staticUrlPath ?? `/${statics?.split(sep).filter(Boolean).pop() ?? 'static'}`;
  if (!urlPath.startsWith('/')) problems.push(`staticUrlPath must start with '/', got ${JSON.stringify(staticUrlPath)}`);
  if (sendFileMaxAge !== null && !(Number.isInteger(sendFileMaxAge) && sendFileMaxAge >= 0)) problems.push(`sendFileMaxAge must be a non-negative integer or null, got ${JSON.stringify(sendFileMaxAge)}`);
  const { serverName, subdomainMatching = false, hostMatching = false } = options;
  if (serverName !== undefined && (typeof serverName !== 'string' || !/^[A-Za-z0-9.-]+(?::\d+)?$/.test(serverName))) problems.push(`serverName must be host[:port], got ${JSON.stringify(serverName)}`);
  if (typeof subdomainMatching !== 'boolean') problems.push(`subdomainMatching must be a boolean, got ${JSON.stringify(subdomainMatching)}`);
  if (typeof hostMatching !== 'boolean') problems.push(`hostMatching must be a boolean, got ${JSON.stringify(hostMatching)}`);
  if (subdomainMatching && serverName === undefined) problems.push('subdomainMatching needs serverName');
  if (problems.length > 0) throw new SetupError('FW_ERR_SETUP', `app options: ${problems.join('; ')}`);
  return deepFreeze({
    serverName: serverName?.toLowerCase(),
    subdomainMatching,
    hostMatching, debug, rootPath: root, secretKeys, templatesFolder: folder, maxContentLength, maxFormParts, maxFormMemorySize, session: sessionOptions, staticFolder: statics, staticUrlPath: urlPath.replace(/\/+$/, ''), staticAccess: { ...staticAccess }, sendFileMaxAge });
}
