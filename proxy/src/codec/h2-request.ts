import { TOKEN_RE, splitTarget, wireError, type RequestHead } from '@tsgi/http1';
import { ProxyError } from '../errors.js';
import { toProxyError } from '../wire.js';

/** The limits an HTTP/2 request is held to, the HTTP/1.1 ones (config `limits`). */
export interface H2Limits {
  maxHeaders: number;
  maxHeaderBytes: number;
  maxRequestLine: number;
  maxFieldBytes: number;
}

/** An HTTP/2 request as the exchange takes it: the same head shape the HTTP/1.1 parser gives. */
export interface TranslatedRequest {
  head: RequestHead;
  /** The HEADERS frame ended the stream: no body. */
  endStream: boolean;
}

/** HTTP/2 field names are tokens without upper-case letters (RFC 9113 8.2.1); TOKEN_RE is the shared tchar set. */
const UPPER = /[A-Z]/;
/** Field values: no NUL, CR, LF (RFC 9113 8.2.1) nor other controls but HTAB, as for HTTP/1.1. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** A path is visible ASCII only: no space, control or byte above 0x7e. */
function badPathByte(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return true;
  }
  return false;
}
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]{1,5})?$/;
/**
 * RFC 9113 8.2.2: connection-specific fields make a message malformed. Not
 * @tsgi/http1's hop-by-hop sets: those also hold TE (allowed here as
 * `trailers`, checked below), Trailer and Proxy-Authenticate/-Authorization,
 * which an HTTP/2 message may carry; a request with them must not be refused.
 */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/**
 * Validates an HTTP/2 request's fields as strictly as the HTTP/1.1 parser
 * does and gives the request head the exchange forwards (as HTTP/1.1). `raw` is node's
 * rawHeaders (name, value, name, value ...), so repeated fields and their
 * order survive. Refused (PX_ERR_BAD_REQUEST, 400): missing or repeated
 * pseudo-headers, unknown pseudo-headers or ones after regular fields,
 * upper-case or non-token names, controls in values, connection-specific
 * fields (`te` other than `trailers`), CONNECT (501), a bad :authority, an
 * absent or non-origin-form :path, a bad or repeated content-length.
 * `endStream` says the HEADERS frame ended the stream (no body).
 */
export function translateH2Request(raw: readonly string[], endStream: boolean, limits: H2Limits): TranslatedRequest {
  let method: string | null = null;
  let scheme: string | null = null;
  let path: string | null = null;
  let authority: string | null = null;
  let host: string | null = null;
  let contentLength = -1;
  let regularSeen = false;
  const names: string[] = [];
  const values: string[] = [];
  let expectContinue = false;
  let cookies: string[] | null = null;
  let count = 0;
  let bytes = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const value = raw[i + 1] ?? '';
    bytes += name.length + value.length + 4;
    if (name.charCodeAt(0) === 58 /* : */) {
      if (regularSeen) throw bad(`pseudo-header ${name} after regular fields`);
      const once = (cur: string | null): string => {
        if (cur !== null) throw bad(`repeated ${name}`);
        return value;
      };
      switch (name) {
        case ':method':
          method = once(method);
          break;
        case ':scheme':
          scheme = once(scheme);
          break;
        case ':path':
          path = once(path);
          break;
        case ':authority':
          authority = once(authority);
          break;
        default:
          throw bad(`unknown pseudo-header ${name}`);
      }
      continue;
    }
    regularSeen = true;
    if (++count > limits.maxHeaders) throw new ProxyError('PX_ERR_HEADERS_TOO_LARGE', `more than ${limits.maxHeaders} fields`);
    if (!TOKEN_RE.test(name) || UPPER.test(name)) throw bad(`invalid field name ${JSON.stringify(name.slice(0, 40))}`);
    if (hasControl(value) || value !== value.trim()) throw bad(`invalid value for ${name}`);
    // The HTTP/1.1 field line it becomes, counted with its CRLF as the HTTP/1.1 parser counts it.
    if (name.length + value.length + 4 > limits.maxFieldBytes) throw wire(wireError('H1_ERR_FIELD_TOO_LARGE', `over ${limits.maxFieldBytes} bytes`));
    if (name === 'expect' && value.toLowerCase() !== '100-continue') throw wire(wireError('H1_ERR_EXPECTATION', JSON.stringify(value.slice(0, 40))));
    if (CONNECTION_SPECIFIC.has(name)) throw bad(`connection-specific field ${name}`);
    if (name === 'te') {
      if (value.toLowerCase() !== 'trailers') throw bad('te other than trailers');
      // Hop-by-hop on HTTP/1.1 anyway.
      continue;
    }
    if (name === 'content-length') {
      if (!/^[0-9]{1,15}$/.test(value)) throw bad('invalid content-length');
      if (contentLength !== -1 && contentLength !== Number(value)) throw bad('conflicting content-length');
      contentLength = Number(value);
      continue;
    }
    if (name === 'host') {
      if (host !== null) throw bad('repeated host');
      host = value;
      continue;
    }
    if (name === 'cookie') {
      // RFC 9113 8.2.3: split cookie fields are joined with "; " for HTTP/1.1.
      (cookies ??= []).push(value);
      continue;
    }
    if (name === 'expect' && value.toLowerCase() === '100-continue') expectContinue = true;
    names.push(name);
    values.push(value);
  }
  if (bytes > limits.maxHeaderBytes) throw new ProxyError('PX_ERR_HEADERS_TOO_LARGE', 'header section too large');
  if (method === null) throw bad('missing :method');
  if (!TOKEN_RE.test(method)) throw bad('invalid :method');
  if (method === 'CONNECT') throw new ProxyError('PX_ERR_NOT_IMPLEMENTED', 'CONNECT is not supported over HTTP/2');
  if (scheme === null || path === null) throw bad('missing :scheme or :path');
  if (scheme !== 'https' && scheme !== 'http') throw bad('invalid :scheme');
  if (path === '' || badPathByte(path) || (path[0] !== '/' && !(path === '*' && method === 'OPTIONS'))) throw bad('invalid :path');
  // The request line it becomes upstream, and the target's shape, as the HTTP/1.1 parser checks them.
  if (method.length + path.length + 10 > limits.maxRequestLine) throw wire(wireError('H1_ERR_URI_TOO_LONG', `over ${limits.maxRequestLine} bytes`));
  try {
    splitTarget(path, method);
  } catch (err) {
    throw wire(err);
  }
  const hostValue = authority ?? host;
  if (hostValue === null || hostValue === '') throw bad('missing :authority and host');
  if (!AUTHORITY.test(hostValue) || hostValue.includes('@')) throw bad('invalid :authority');
  if (authority !== null && host !== null && host.toLowerCase() !== authority.toLowerCase()) throw bad('host differs from :authority');
  if (endStream && contentLength > 0) throw bad('content-length without a body');
  if (contentLength >= 0) {
    names.push('content-length');
    values.push(String(contentLength));
  }
  if (cookies !== null) {
    names.push('cookie');
    values.push(cookies.join('; '));
  }
  const q = path.indexOf('?');
  const head: RequestHead = {
    method,
    rawTarget: path,
    target: path,
    rawPath: path === '*' ? '' : q < 0 ? path : path.slice(0, q),
    query: q < 0 ? '' : path.slice(q + 1),
    minor: 1,
    names,
    lower: names,
    values,
    host: hostValue,
    contentLength,
    // Without a content-length the body goes upstream re-framed as chunked.
    chunked: !endStream && contentLength < 0,
    keepAlive: true,
    expectContinue,
    upgrade: '',
    connectionTokens: null,
    headBytes: bytes,
  };
  return { head, endStream };
}

function wire(err: unknown): ProxyError {
  const e = toProxyError(err);
  return e instanceof ProxyError ? e : bad(String(e));
}

function bad(detail: string): ProxyError {
  return new ProxyError('PX_ERR_BAD_REQUEST', detail);
}

/** Response fields HTTP/2 forbids (RFC 9113 8.2.2); the core already drops most as hop-by-hop. */
export const H2_FORBIDDEN_RESPONSE = CONNECTION_SPECIFIC;
