import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SetupError } from './errors.js';
import { DEFAULT_SESSION_OPTIONS, type SessionOptions } from './session.js';

/** Options of `new App()`; validated once, every problem reported together. */
export interface AppOptions {
  /** Debug mode: stack traces on 500 pages, templates re-read on each render. */
  debug?: boolean;
  /** Signs session cookies; several keys rotate (the first signs, all verify). */
  secretKey?: string | readonly string[];
  /** Templates folder: absolute path, `file:` URL (e.g. `new URL('../templates', import.meta.url)`) or relative to the cwd. */
  templatesFolder?: string | URL;
  /** Largest request body in bytes (Flask's MAX_CONTENT_LENGTH); default 16 MiB. */
  maxContentLength?: number;
  /** Most parts in one multipart body; default 1000. */
  maxFormParts?: number;
  /** Session cookie settings. */
  session?: Partial<SessionOptions>;
}

export interface AppConfig {
  readonly debug: boolean;
  readonly secretKeys: readonly string[];
  readonly templatesFolder: string;
  readonly maxContentLength: number;
  readonly maxFormParts: number;
  readonly session: Readonly<SessionOptions>;
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
  const { debug = false, secretKey, templatesFolder = 'templates', maxContentLength = 16 * 1024 * 1024, maxFormParts = 1000, session = {} } = options;
  if (typeof debug !== 'boolean') problems.push(`debug must be a boolean, got ${JSON.stringify(debug)}`);
  const secretKeys = secretKey === undefined ? [] : typeof secretKey === 'string' ? [secretKey] : [...secretKey];
  if (secretKeys.some((key) => typeof key !== 'string' || key.length === 0)) problems.push('secretKey must be a non-empty string or a list of them');
  if (!isCount(maxContentLength) && maxContentLength !== Number.POSITIVE_INFINITY) problems.push(`maxContentLength must be a positive integer, got ${JSON.stringify(maxContentLength)}`);
  if (!isCount(maxFormParts)) problems.push(`maxFormParts must be a positive integer, got ${JSON.stringify(maxFormParts)}`);
  let folder = '';
  if (templatesFolder instanceof URL) folder = fileURLToPath(templatesFolder);
  else if (typeof templatesFolder === 'string' && templatesFolder !== '') folder = templatesFolder.startsWith('file:') ? fileURLToPath(templatesFolder) : resolve(templatesFolder);
  else problems.push(`templatesFolder must be a path or file URL, got ${JSON.stringify(templatesFolder)}`);
  const sessionOptions: SessionOptions = { ...DEFAULT_SESSION_OPTIONS, ...session, cookie: { ...DEFAULT_SESSION_OPTIONS.cookie, ...session.cookie } };
  if (!isCount(sessionOptions.lifetimeSeconds)) problems.push(`session.lifetimeSeconds must be a positive integer, got ${JSON.stringify(sessionOptions.lifetimeSeconds)}`);
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(sessionOptions.cookieName)) problems.push(`session.cookieName must be a cookie token, got ${JSON.stringify(sessionOptions.cookieName)}`);
  if (problems.length > 0) throw new SetupError('FW_ERR_SETUP', `app options: ${problems.join('; ')}`);
  return deepFreeze({ debug, secretKeys, templatesFolder: folder, maxContentLength, maxFormParts, session: sessionOptions });
}
