import { TOKEN_RE as TOKEN } from '@tsgi/http1';

/** Attributes of a Set-Cookie header (RFC 6265bis), as Werkzeug's `set_cookie` takes them. */
export interface CookieOptions {
  /** Seconds until expiry; 0 deletes the cookie. */
  maxAge?: number;
  expires?: Date | number;
  /** Default '/'; null sends no Path. */
  path?: string | null;
  domain?: string;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
  partitioned?: boolean;
  priority?: 'Low' | 'Medium' | 'High';
}

// Werkzeug's dump_cookie: values made only of these are sent bare; others are quoted with
// backslash-octal escapes (`"a\073b"`), and read back the same way by parseCookieHeader.
const NO_QUOTE = /^[\w!#$%&'()*+\-./:<=>?@[\]^`{|}~]*$/;
const ATTRIBUTE_UNSAFE = /[;\r\n\0]/;
// Werkzeug's _cookie_re: `name [= value]` up to ';', a value may be a quoted string with escapes.
const COOKIE_PAIR = /([^=;]*)(?:\s*=\s*("(?:[^\\"]|\\.)*"|.*?))?\s*;\s*/gy;
const UNSLASH = /\\([0-3][0-7]{2}|.)/gs;

/**
 * Parses a Cookie request header as Werkzeug's parse_cookie: no percent-decoding, quoted
 * values unescaped, a name without '=' has the empty value, the first occurrence of a name wins.
 */
export function parseCookieHeader(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!header) return out;
  const text = `${header};`;
  COOKIE_PAIR.lastIndex = 0;
  for (let match = COOKIE_PAIR.exec(text); match !== null && match[0] !== ''; match = COOKIE_PAIR.exec(text)) {
    const name = match[1]!.trim();
    let value = (match[2] ?? '').trim();
    if (!name || name in out) continue;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = unslash(value.slice(1, -1));
    out[name] = value;
  }
  return out;
}

/** Flask's `request.cookies.get(name, default)` beside plain indexing (`cookies.name`). */
export interface CookieLookup {
  /** The value of `name` (the first one sent), or `null` when absent, as `request.args.get`. */
  get(name: string): string | null;
  /** The value of `name`, or `fallback` when absent (Werkzeug's `get(key, default)`). */
  get<T>(name: string, fallback: T): string | T;
  has(name: string): boolean;
}

/**
 * The request's cookies: a name → value record (spread, `Object.keys` and JSON see only
 * cookies) with `get` and `has` as non-enumerable methods. A cookie named `get` or `has` is
 * read with `get('get')` only: the method keeps the name (`constructor` too).
 */
export type RequestCookies = Readonly<Record<string, string>> & CookieLookup;

/** Names the lookup methods keep: such a cookie is only reachable through `get`. */
const METHOD_NAMES = new Set(['get', 'has', 'constructor']);

class CookieView {
  // Private, so spreading and JSON never see it.
  readonly #values: Record<string, string>;

  constructor(values: Record<string, string>) {
    this.#values = values;
    const self = this as unknown as Record<string, string>;
    for (const name in values) if (!METHOD_NAMES.has(name)) self[name] = values[name]!;
  }

  get(name: string, fallback: unknown = null): unknown {
    return Object.hasOwn(this.#values, name) ? this.#values[name] : fallback;
  }

  has(name: string): boolean {
    return Object.hasOwn(this.#values, name);
  }
}
// No Object.prototype: `cookies.toString` is not a cookie and `cookies.__proto__` not a prototype.
Object.setPrototypeOf(CookieView.prototype, null);

export function requestCookies(header: string | undefined): RequestCookies {
  return new CookieView(parseCookieHeader(header)) as unknown as RequestCookies;
}

function unslash(value: string): string {
  if (!value.includes('\\')) return value;
  const bytes: number[] = [];
  let last = 0;
  for (const match of value.matchAll(UNSLASH)) {
    bytes.push(...Buffer.from(value.slice(last, match.index), 'utf8'));
    const escaped = match[1]!;
    bytes.push(...(escaped.length === 3 ? [parseInt(escaped, 8)] : Buffer.from(escaped, 'utf8')));
    last = match.index + match[0].length;
  }
  bytes.push(...Buffer.from(value.slice(last), 'utf8'));
  return Buffer.from(bytes).toString('utf8');
}

function quoteValue(value: string): string {
  if (NO_QUOTE.test(value)) return value;
  let out = '"';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte < 0x20 || byte === 0x2c || byte === 0x3b || byte >= 0x7f) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}

/**
 * Serialises one Set-Cookie header value as Werkzeug's dump_cookie (attribute order, quoting,
 * `maxAge` also sets Expires); throws TypeError on a name or attribute that would break the header.
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!TOKEN.test(name)) throw new TypeError(`cookie name ${JSON.stringify(name)} is not a token`);
  let out = `${name}=${quoteValue(value)}`;
  if (options.domain !== undefined) out += `; Domain=${checkAttribute('Domain', options.domain)}`;
  if (options.maxAge !== undefined && !Number.isFinite(options.maxAge)) throw new TypeError('cookie Max-Age must be a finite number');
  const expires = options.expires ?? (options.maxAge !== undefined ? Date.now() + Math.floor(options.maxAge) * 1000 : undefined);
  if (expires !== undefined) {
    const date = typeof expires === 'number' ? new Date(expires) : expires;
    if (Number.isNaN(date.getTime())) throw new TypeError('cookie Expires is not a valid date');
    out += `; Expires=${date.toUTCString()}`;
  }
  if (options.maxAge !== undefined) out += `; Max-Age=${Math.floor(options.maxAge)}`;
  if (options.secure) out += '; Secure';
  if (options.httpOnly) out += '; HttpOnly';
  if (options.path !== null) out += `; Path=${quoteCookiePath(options.path ?? '/')}`;
  if (options.sameSite !== undefined) out += `; SameSite=${options.sameSite}`;
  if (options.partitioned) out += '; Partitioned';
  if (options.priority !== undefined) out += `; Priority=${options.priority}`;
  return out;
}

// Werkzeug's dump_cookie: quote(path, safe="%!$&'()*+,/:=@"), so `;`, spaces and non-ASCII are percent-encoded, not refused.
const PATH_UNSAFE = /[^A-Za-z0-9_.~%!$&'()*+,/:=@-]/gu;

function quoteCookiePath(path: string): string {
  return path.replace(PATH_UNSAFE, (ch) => encodeURIComponent(ch));
}

function checkAttribute(name: string, value: string): string {
  if (ATTRIBUTE_UNSAFE.test(value)) throw new TypeError(`cookie ${name} contains ';', CR, LF or NUL`);
  return value;
}
