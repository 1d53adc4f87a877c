import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SetupError } from './errors.js';
import type { JsonOptions, JsonProvider } from './json-provider.js';
import { DEFAULT_SESSION_OPTIONS, type SessionOptions } from './session.js';
import { TOKEN_RE } from '@tsgi/http1';

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
  /** Templates folder: absolute path, `file:` URL (e.g. `new URL('../templates', import.meta.url)`) or relative to the cwd. */
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
  /** Static files folder served at `staticUrlPath` as endpoint `static` (Flask's `static_folder`, default `static`); null: none. */
  staticFolder?: string | URL | null;
  /** URL path of the static files (default `/<basename of staticFolder>`). */
  staticUrlPath?: string;
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
  readonly secretKeys: readonly string[];
  readonly templatesFolder: string;
  readonly maxContentLength: number;
  readonly maxFormParts: number;
  readonly maxFormMemorySize: number;
  readonly session: Readonly<SessionOptions>;
  readonly staticFolder: string | undefined;
  readonly staticUrlPath: string;
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

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Validates and freezes app options; throws one SetupError listing every problem. */
export function resolveConfig(options: AppOptions): AppConfig {
  const problems: string[] = [];
  const { debug = process.env.TSGI_DEBUG === '1', secretKey, templatesFolder = 'templates', maxContentLength = 16 * 1024 * 1024, maxFormParts = 1000, maxFormMemorySize = 500_000, session = {} } = options;
  if (typeof debug !== 'boolean') problems.push(`debug must be a boolean, got ${JSON.stringify(debug)}`);
  const secretKeys = secretKey === undefined ? [] : typeof secretKey === 'string' ? [secretKey] : [...secretKey];
  if (secretKeys.some((key) => typeof key !== 'string' || key.length === 0)) problems.push('secretKey must be a non-empty string or a list of them');
  if (!isCount(maxContentLength) && maxContentLength !== Number.POSITIVE_INFINITY) problems.push(`maxContentLength must be a positive integer, got ${JSON.stringify(maxContentLength)}`);
  if (!isCount(maxFormParts)) problems.push(`maxFormParts must be a positive integer, got ${JSON.stringify(maxFormParts)}`);
  if (!isCount(maxFormMemorySize) && maxFormMemorySize !== Number.POSITIVE_INFINITY) problems.push(`maxFormMemorySize must be a positive integer, got ${JSON.stringify(maxFormMemorySize)}`);
  let folder = '';
  if (templatesFolder instanceof URL) folder = fileURLToPath(templatesFolder);
  else if (typeof templatesFolder === 'string' && templatesFolder !== '') folder = templatesFolder.startsWith('file:') ? fileURLToPath(templatesFolder) : resolve(templatesFolder);
  else problems.push(`templatesFolder must be a path or file URL, got ${JSON.stringify(templatesFolder)}`);
  const sessionOptions: SessionOptions = { ...DEFAULT_SESSION_OPTIONS, ...session, cookie: { ...DEFAULT_SESSION_OPTIONS.cookie, ...session.cookie } };
  if (!isCount(sessionOptions.lifetimeSeconds)) problems.push(`session.lifetimeSeconds must be a positive integer, got ${JSON.stringify(sessionOptions.lifetimeSeconds)}`);
  if (!TOKEN_RE.test(sessionOptions.cookieName)) problems.push(`session.cookieName must be a cookie token, got ${JSON.stringify(sessionOptions.cookieName)}`);
  const { staticFolder = null, staticUrlPath, sendFileMaxAge = null } = options;
  let statics: string | undefined;
  if (staticFolder instanceof URL) statics = fileURLToPath(staticFolder);
  else if (typeof staticFolder === 'string' && staticFolder !== '') statics = staticFolder.startsWith('file:') ? fileURLToPath(staticFolder) : resolve(staticFolder);
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
    hostMatching, debug, secretKeys, templatesFolder: folder, maxContentLength, maxFormParts, maxFormMemorySize, session: sessionOptions, staticFolder: statics, staticUrlPath: urlPath.replace(/\/+$/, ''), sendFileMaxAge });
}
