import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CookieOptions } from './cookies.js';
import { SetupError } from './errors.js';

/** How session cookies are signed and sent (Flask's SESSION_COOKIE_* settings). */
export interface SessionOptions {
  cookieName: string;
  /** Lifetime of a permanent session, and the oldest signature accepted for any session, in seconds. */
  lifetimeSeconds: number;
  cookie: Omit<CookieOptions, 'maxAge' | 'expires'>;
  /** Re-send permanent session cookies on every request to slide their expiry. */
  refreshEachRequest: boolean;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  cookieName: 'session',
  lifetimeSeconds: 31 * 24 * 3600,
  cookie: { path: '/', httpOnly: true },
  refreshEachRequest: true,
};

const SALT = 'cookie-session';

/**
 * Signs session payloads as itsdangerous' TimestampSigner does, with
 * HMAC-SHA256: `base64url(json).base64url(time).base64url(mac)`. The key is
 * derived from the secret with the salt, so the same secret used elsewhere
 * cannot forge sessions. Older secrets verify but never sign (rotation).
 * Only the exact signature text the signer writes verifies: unlike
 * itsdangerous, `=` padding, trailing junk or the standard base64 alphabet
 * make the cookie invalid.
 */
export class SessionSigner {
  private readonly keys: Buffer[];

  constructor(secrets: readonly string[]) {
    this.keys = secrets.map((secret) => createHmac('sha256', secret).update(SALT).digest());
  }

  sign(data: Record<string, unknown>, now = Date.now()): string {
    const payload = Buffer.from(JSON.stringify(data), 'utf8').toString('base64url');
    const stamp = Buffer.from(Math.floor(now / 1000).toString(36), 'latin1').toString('base64url');
    const value = `${payload}.${stamp}`;
    return `${value}.${createHmac('sha256', this.keys[0]!).update(value).digest('base64url')}`;
  }

  /** The data, or undefined when the signature, the format or the age is wrong. */
  unsign(cookie: string, maxAgeSeconds: number, now = Date.now()): Record<string, unknown> | undefined {
    const lastDot = cookie.lastIndexOf('.');
    if (lastDot <= 0) return undefined;
    const value = cookie.slice(0, lastDot);
    // The signature text itself is compared, not its decoded bytes: base64 decoders skip padding,
    // junk and the other alphabet, which would give one session many valid cookie strings.
    const given = Buffer.from(cookie.slice(lastDot + 1), 'latin1');
    const valid = this.keys.some((key) => {
      const expected = Buffer.from(createHmac('sha256', key).update(value).digest('base64url'), 'latin1');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!valid) return undefined;
    const [payload, stamp, extra] = value.split('.');
    if (payload === undefined || stamp === undefined || extra !== undefined) return undefined;
    const issued = parseInt(Buffer.from(stamp, 'base64url').toString('latin1'), 36);
    if (!Number.isFinite(issued) || now / 1000 - issued > maxAgeSeconds) return undefined;
    try {
      const data: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * The signed-cookie session of one request (Flask's `session`). Values must
 * be JSON-serialisable. Writes mark it modified; it is saved after the
 * handler. A tampered or expired cookie yields an empty session.
 */
export class Session {
  private data: Record<string, unknown>;
  /** The request sent a (valid) session cookie. */
  readonly fromCookie: boolean;
  modified = false;
  /** Permanent sessions get an Expires/Max-Age cookie; others end with the browser session. */
  private permanentValue: boolean;

  constructor(data: Record<string, unknown> | undefined) {
    this.fromCookie = data !== undefined;
    const { _permanent: permanent, ...rest } = data ?? {};
    this.data = rest;
    this.permanentValue = permanent === true;
  }

  get permanent(): boolean {
    return this.permanentValue;
  }

  set permanent(value: boolean) {
    if (value !== this.permanentValue) this.modified = true;
    this.permanentValue = value;
  }

  get<T = unknown>(key: string): T | undefined {
    return Object.hasOwn(this.data, key) ? (this.data[key] as T) : undefined;
  }

  set(key: string, value: unknown): this {
    this.data[key] = value;
    this.modified = true;
    return this;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.data, key);
  }

  delete(key: string): boolean {
    if (!Object.hasOwn(this.data, key)) return false;
    delete this.data[key];
    this.modified = true;
    return true;
  }

  /** Empties the session; like Flask's, this always counts as a change (the cookie is deleted). */
  clear(): void {
    this.modified = true;
    this.data = {};
  }

  get size(): number {
    return Object.keys(this.data).length;
  }

  toJSON(): Record<string, unknown> {
    return this.permanentValue ? { ...this.data, _permanent: true } : { ...this.data };
  }
}

/**
 * The session of an app without a secretKey (Flask's NullSession): always
 * empty, so pages and templates that only read it (get_flashed_messages in a
 * layout) still render; any write throws FW_ERR_SESSION_NO_SECRET, a 500 that
 * names the fix. Never saved, so no cookie and no Vary: Cookie.
 */
export class NullSession extends Session {
  constructor() {
    super(undefined);
  }

  override get permanent(): boolean {
    return false;
  }

  override set permanent(_value: boolean) {
    noSecret();
  }

  override set(_key: string, _value: unknown): this {
    return noSecret();
  }

  override delete(_key: string): boolean {
    return noSecret();
  }

  override clear(): void {
    noSecret();
  }
}

function noSecret(): never {
  throw new SetupError('FW_ERR_SESSION_NO_SECRET', 'the session is unavailable because no secretKey was set on the App');
}
