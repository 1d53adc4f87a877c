import { ProxyError } from '../errors.js';

/** An HTTP/2 request translated to the HTTP/1.1 the proxy core forwards. */
export interface TranslatedRequest {
  method: string;
  path: string;
  authority: string;
  /** The HTTP/1.1 head (request line, fields, framing, CRLF CRLF), latin1. */
  head: string;
  /** The body is re-framed as chunked (no content-length was given). */
  chunked: boolean;
  /** Declared content-length, -1 when none. */
  contentLength: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: no NUL, CR, LF (RFC 9113 8.2.1) nor other controls but HTAB, as for HTTP/1.1; no edge whitespace.
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const BAD_PATH = /[\x00-\x20\x7f-\xff]/;
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]{1,5})?$/;
/** RFC 9113 8.2.2: connection-specific fields make the request malformed. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
/** Fields the proxy sets itself on the HTTP/1.1 side. */
const REPLACED = new Set(['host', 'content-length']);

/**
 * Validates an HTTP/2 request's fields as strictly as the HTTP/1.1 parser
 * does and serialises the HTTP/1.1 head the core forwards. `raw` is node's
 * rawHeaders (name, value, name, value ...), so repeated fields and their
 * order survive. Refused (PX_ERR_BAD_REQUEST, 400): missing or repeated
 * pseudo-headers, unknown pseudo-headers or ones after regular fields,
 * upper-case or non-token names, controls in values, connection-specific
 * fields (`te` other than `trailers`), CONNECT (501), a bad :authority, an
 * absent or non-origin-form :path, a bad or repeated content-length.
 * `endStream` says the HEADERS frame ended the stream (no body).
 */
export function translateH2Request(raw: readonly string[], endStream: boolean, limits: { maxHeaders: number; maxHeaderBytes: number }): TranslatedRequest {
  let method: string | null = null;
  let scheme: string | null = null;
  let path: string | null = null;
  let authority: string | null = null;
  let host: string | null = null;
  let contentLength = -1;
  let regularSeen = false;
  let fields = '';
  let cookies: string[] | null = null;
  let count = 0;
  let bytes = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
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
    if (++count > limits.maxHeaders) throw new ProxyError('PX_ERR_HEADERS_TOO_LARGE', `request header fields too large: more than ${limits.maxHeaders} fields`, 431);
    if (!TOKEN.test(name)) throw bad(`invalid field name ${JSON.stringify(name.slice(0, 40))}`);
    if (BAD_VALUE.test(value) || value !== value.trim()) throw bad(`invalid value for ${name}`);
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
    if (REPLACED.has(name)) continue;
    fields += `${name}: ${value}\r\n`;
  }
  if (bytes > limits.maxHeaderBytes) throw new ProxyError('PX_ERR_HEADERS_TOO_LARGE', 'request header fields too large: header section too large', 431);
  if (method === null) throw bad('missing :method');
  if (!METHOD.test(method)) throw bad('invalid :method');
  if (method === 'CONNECT') throw new ProxyError('PX_ERR_NOT_IMPLEMENTED', 'CONNECT is not supported over HTTP/2', 501);
  if (scheme === null || path === null) throw bad('missing :scheme or :path');
  if (scheme !== 'https' && scheme !== 'http') throw bad('invalid :scheme');
  if (path === '' || BAD_PATH.test(path) || (path[0] !== '/' && !(path === '*' && method === 'OPTIONS'))) throw bad('invalid :path');
  const hostValue = authority ?? host;
  if (hostValue === null || hostValue === '') throw bad('missing :authority and host');
  if (!AUTHORITY.test(hostValue) || hostValue.includes('@')) throw bad('invalid :authority');
  if (authority !== null && host !== null && host.toLowerCase() !== authority.toLowerCase()) throw bad('host differs from :authority');
  if (endStream && contentLength > 0) throw bad('content-length without a body');
  const chunked = !endStream && contentLength < 0;
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${hostValue}\r\n${fields}`;
  if (cookies !== null) head += `cookie: ${cookies.join('; ')}\r\n`;
  if (contentLength >= 0) head += `content-length: ${contentLength}\r\n`;
  else if (chunked) head += 'transfer-encoding: chunked\r\n';
  // One request per tunnel: the core answers it and closes.
  head += 'connection: close\r\n\r\n';
  return { method, path, authority: hostValue, head, chunked, contentLength };
}

function bad(detail: string): ProxyError {
  return new ProxyError('PX_ERR_BAD_REQUEST', `malformed request: ${detail}`, 400);
}

/** Response fields HTTP/2 forbids (RFC 9113 8.2.2); the core already drops most as hop-by-hop. */
export const H2_FORBIDDEN_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
