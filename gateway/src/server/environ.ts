import type { Environ, InputStream } from '../types.js';
import { TSGI_VERSION } from '../types.js';
import { decodePath } from './path-decode.js';
import type { RequestHead } from './request-head.js';
import type { ResolvedOptions } from './server-options.js';

/** The connection facts the environ needs (ENV-7, ENV-10). */
export interface PeerInfo {
  remoteAddress: string;
  remotePort: string;
  localAddress: string;
  localPort: string;
}

/**
 * Field name as sent → its HTTP_* key, or null for names dropped by ENV-9
 * (names containing '_', Content-Type and Content-Length). Bounded so a
 * client sending random names cannot grow it without limit.
 */
const keyCache = new Map<string, string | null>();
const KEY_CACHE_MAX = 2048;

function environKey(name: string): string | null {
  let key = keyCache.get(name);
  if (key !== undefined) return key;
  const upper = name.toUpperCase();
  key = name.includes('_') || upper === 'CONTENT-TYPE' || upper === 'CONTENT-LENGTH' ? null : `HTTP_${upper.replace(/-/g, '_')}`;
  if (keyCache.size < KEY_CACHE_MAX) keyCache.set(name, key);
  return key;
}

/** `http://…` or `https://…` (any case): the only absolute forms the wire parser lets through. */
function isAbsoluteForm(target: string): boolean {
  const c = target.charCodeAt(0) | 0x20;
  return c === 0x68 && /^https?:\/\//i.test(target);
}

function splitHost(host: string, scheme: string): [string, string] {
  if (host.charCodeAt(0) === 0x5b) {
    const close = host.indexOf(']');
    const port = host.slice(close + 2);
    return [host.slice(0, close + 1), port !== '' ? port : scheme === 'https' ? '443' : '80'];
  }
  const colon = host.lastIndexOf(':');
  if (colon === -1) return [host, scheme === 'https' ? '443' : '80'];
  const port = host.slice(colon + 1);
  return [host.slice(0, colon), port !== '' ? port : scheme === 'https' ? '443' : '80'];
}

/**
 * Builds the environ for one request (ENV-1..ENV-18), or returns null when
 * PATH_INFO does not decode as UTF-8 (ENV-3: the caller answers 400).
 */
export function buildEnviron(head: RequestHead, peer: PeerInfo, opts: ResolvedOptions, input: InputStream): Environ | null {
  const pathInfo = decodePath(head.rawPath);
  if (pathInfo === null) return null;
  let scheme = opts.urlScheme;
  if (head.forwardedProto !== '' && opts.trust.trusts(peer.remoteAddress)) {
    if (head.forwardedProto === 'https' || head.forwardedProto === 'http') scheme = head.forwardedProto;
  }
  let serverName: string;
  let serverPort: string;
  if (head.host !== '') {
    [serverName, serverPort] = splitHost(head.host, scheme);
  } else {
    serverName = opts.serverName !== '' ? opts.serverName : peer.localAddress;
    serverPort = peer.localPort;
  }
  const environ: Environ = {
    REQUEST_METHOD: head.method,
    SCRIPT_NAME: '',
    PATH_INFO: pathInfo,
    QUERY_STRING: head.query,
    SERVER_NAME: serverName,
    SERVER_PORT: serverPort,
    SERVER_PROTOCOL: head.version,
    REMOTE_ADDR: peer.remoteAddress,
    REMOTE_PORT: peer.remotePort,
    RAW_URI: head.target,
    'tsgi.version': TSGI_VERSION,
    'tsgi.url_scheme': scheme,
    'tsgi.input': input,
    'tsgi.errors': opts.errors,
    'tsgi.multithread': false,
    'tsgi.multiprocess': opts.multiprocess,
    'tsgi.run_once': false,
    'tsgi.input_terminated': true,
  };
  const fields = head.fields;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!; // fields holds name, value pairs
    const key = environKey(name);
    if (key === null) {
      const lower = name.toLowerCase();
      if (lower === 'content-type') environ.CONTENT_TYPE = fields[i + 1];
      else if (lower === 'content-length') environ.CONTENT_LENGTH = fields[i + 1];
      continue;
    }
    const prev = environ[key as `HTTP_${string}`];
    environ[key as `HTTP_${string}`] =
      prev === undefined ? fields[i + 1] : `${prev}${key === 'HTTP_COOKIE' ? '; ' : ', '}${fields[i + 1]}`;
  }
  // RFC 9112 section 3.2.2: with an absolute-form target the server ignores Host and uses the target's authority
  // (as werkzeug's server does), so apps building URLs from HTTP_HOST agree with SERVER_NAME.
  if (head.host !== '' && isAbsoluteForm(head.target)) environ.HTTP_HOST = head.host;
  return environ;
}
