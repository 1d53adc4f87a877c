/** Attributes of a Set-Cookie header (RFC 6265bis), as Werkzeug's `set_cookie` takes them. */
export interface CookieOptions {
  /** Seconds until expiry; 0 deletes the cookie. */
  maxAge?: number;
  expires?: Date | number;
  path?: string;
  domain?: string;
  secure?: boolean;
  httpOnly?: boolean;
  sameSite?: 'Strict' | 'Lax' | 'None';
  partitioned?: boolean;
  priority?: 'Low' | 'Medium' | 'High';
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// cookie-octet of RFC 6265: anything else in a value is percent-encoded.
const UNSAFE_VALUE = /[^\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]/;
const ATTRIBUTE_UNSAFE = /[;\r\n\0]/;

/** Parses a Cookie request header; the first occurrence of a name wins, as browsers send the most specific first. */
export function parseCookieHeader(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!header) return out;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq !== -1 && eq < end) {
      const name = header.slice(start, eq).trim();
      if (name && !(name in out)) {
        let value = header.slice(eq + 1, end).trim();
        if (value.length >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(value.length - 1) === 34) value = value.slice(1, -1);
        out[name] = decodeCookieValue(value);
      }
    }
    start = end + 1;
  }
  return out;
}

function decodeCookieValue(value: string): string {
  if (value.indexOf('%') === -1) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Serialises one Set-Cookie header value; throws TypeError on a name or attribute that would break the header. */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!TOKEN.test(name)) throw new TypeError(`cookie name ${JSON.stringify(name)} is not a token`);
  const encoded = UNSAFE_VALUE.test(value) ? encodeURIComponent(value) : value;
  let out = `${name}=${encoded}`;
  if (options.domain !== undefined) out += `; Domain=${checkAttribute('Domain', options.domain)}`;
  if (options.expires !== undefined) {
    const date = typeof options.expires === 'number' ? new Date(options.expires) : options.expires;
    if (Number.isNaN(date.getTime())) throw new TypeError('cookie Expires is not a valid date');
    out += `; Expires=${date.toUTCString()}`;
  }
  if (options.maxAge !== undefined) {
    if (!Number.isFinite(options.maxAge)) throw new TypeError('cookie Max-Age must be a finite number');
    out += `; Max-Age=${Math.floor(options.maxAge)}`;
  }
  if (options.secure) out += '; Secure';
  if (options.httpOnly) out += '; HttpOnly';
  out += `; Path=${checkAttribute('Path', options.path ?? '/')}`;
  if (options.sameSite !== undefined) out += `; SameSite=${options.sameSite}`;
  if (options.partitioned) out += '; Partitioned';
  if (options.priority !== undefined) out += `; Priority=${options.priority}`;
  return out;
}

function checkAttribute(name: string, value: string): string {
  if (ATTRIBUTE_UNSAFE.test(value)) throw new TypeError(`cookie ${name} contains ';', CR, LF or NUL`);
  return value;
}
