import { isIP } from 'node:net';
import { ForwardedTrust, type App, type Environ } from '@tsgi/gateway';
import { InvalidOptionError } from '../errors.js';
import { checkKnown, readInteger } from '../shared/options.js';
import { HOST_PATTERN } from '../shared/location.js';

/**
 * How many proxies in front of the app set each X-Forwarded-* header.
 * 0 ignores the header. Werkzeug's snake_case names are accepted as aliases.
 */
export interface ProxyFixOptions {
  /** X-Forwarded-For hops → REMOTE_ADDR. Default 1. */
  xFor?: number;
  /** X-Forwarded-Proto hops → tsgi.url_scheme. Default 1. */
  xProto?: number;
  /** X-Forwarded-Host hops → HTTP_HOST, SERVER_NAME, SERVER_PORT. Default 0. */
  xHost?: number;
  /** X-Forwarded-Port hops → HTTP_HOST's port, SERVER_PORT. Default 0. */
  xPort?: number;
  /** X-Forwarded-Prefix hops → SCRIPT_NAME. Default 0. */
  xPrefix?: number;
  /**
   * The peers (REMOTE_ADDR as the server saw it) whose X-Forwarded-* headers
   * are believed: IPs, CIDRs, or '*' for anyone (Werkzeug's behaviour).
   * Default `['127.0.0.1', '::1']`: a proxy on the same host. From any other
   * peer every header is ignored, so a client that reaches the app server
   * directly cannot pick its own address or scheme.
   */
  trustedProxies?: readonly string[];
  x_for?: number;
  x_proto?: number;
  x_host?: number;
  x_port?: number;
  x_prefix?: number;
}

/** What proxyFix replaced, kept under this environ key (Werkzeug's `werkzeug.proxy_fix.orig`). */
export const PROXY_FIX_ORIG_KEY = 'mw.proxy_fix.orig';

/** The environ values as the server set them, before proxyFix. */
export interface ProxyFixOriginal {
  REMOTE_ADDR: string;
  'tsgi.url_scheme': 'http' | 'https';
  HTTP_HOST: string | undefined;
  SERVER_NAME: string;
  SERVER_PORT: string;
  SCRIPT_NAME: string;
}

const MW = 'proxyFix';
const KNOWN = ['xFor', 'xProto', 'xHost', 'xPort', 'xPrefix', 'x_for', 'x_proto', 'x_host', 'x_port', 'x_prefix', 'trustedProxies'];
/** The gateway's own default for forwardedAllowIps: a proxy on this host. */
const LOOPBACK = ['127.0.0.1', '::1'];
const PORT = /^\d{1,5}$/;
// eslint-disable-next-line no-control-regex -- a forwarded prefix may not hold controls
const PREFIX = /^\/[^\\\u0000-\u001f?#]*$/;

/**
 * The `trusted`-th value from the right of a comma list, as Werkzeug's
 * `_get_real_value`: each trusted proxy appends one value, so anything
 * further left was written by the client and is ignored. Too few values
 * (fewer proxies than configured): null, the header is not believed.
 */
function nthFromRight(trusted: number, value: string | undefined): string | null {
  if (trusted === 0 || value === undefined || value === '') return null;
  const values = value.split(',');
  if (values.length < trusted) return null;
  const v = values[values.length - trusted]!.trim(); // 1 <= trusted <= values.length
  return v === '' ? null : v;
}

function clientAddress(value: string): string | null {
  if (isIP(value)) return value;
  // Some proxies append a port: "203.0.113.9:4711" or "[2001:db8::1]:4711".
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    const inner = close === -1 ? '' : value.slice(1, close);
    return isIP(inner) === 6 ? inner : null;
  }
  const colon = value.lastIndexOf(':');
  if (colon !== -1 && value.indexOf(':') === colon && isIP(value.slice(0, colon)) === 4) return value.slice(0, colon);
  return null;
}

function splitHostPort(host: string): [string, string | null] {
  if (host.endsWith(']') || !host.includes(':')) return [host, null];
  const i = host.lastIndexOf(':');
  return [host.slice(0, i), host.slice(i + 1)];
}

function readTrust(value: unknown): ForwardedTrust {
  if (value === undefined) return new ForwardedTrust(LOOPBACK, 'trustedProxies');
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidOptionError(MW, 'trustedProxies', "must be a non-empty list of IPs, CIDRs or '*'", value);
  }
  const bad = (value as unknown[]).find((entry) => !ForwardedTrust.isEntry(entry));
  if (bad !== undefined) throw new InvalidOptionError(MW, 'trustedProxies', "must list only IPs, CIDRs or '*'", bad);
  return new ForwardedTrust(value as string[], 'trustedProxies');
}

/**
 * Werkzeug's ProxyFix: believe the X-Forwarded-* headers set by a known
 * number of proxies in front of the app, and only those. For each header the
 * value taken is the N-th from the right (N = the configured hop count), so a
 * client that sends its own `X-Forwarded-For: 1.2.3.4` gains nothing. Values
 * that do not parse (not an IP, not http/https, a bad host, port or prefix)
 * are ignored. The originals stay in `environ['mw.proxy_fix.orig']`.
 *
 * Only requests whose peer is in `trustedProxies` (default loopback) are
 * rewritten: unlike Werkzeug, which believes any sender. Only use this behind
 * proxies that set (not just pass on) these headers.
 */
export function proxyFix(app: App, options: ProxyFixOptions = {}): App {
  checkKnown(MW, options, KNOWN);
  const pick = (camel: keyof ProxyFixOptions, snake: keyof ProxyFixOptions, dflt: number) => {
    if (options[camel] !== undefined && options[snake] !== undefined) {
      throw new InvalidOptionError(MW, camel, `is given twice (also as ${snake})`, options[snake]);
    }
    return options[camel] !== undefined ? readInteger(MW, camel, options[camel], dflt, 0, 64) : readInteger(MW, snake, options[snake], dflt, 0, 64);
  };
  const xFor = pick('xFor', 'x_for', 1);
  const xProto = pick('xProto', 'x_proto', 1);
  const xHost = pick('xHost', 'x_host', 0);
  const xPort = pick('xPort', 'x_port', 0);
  const xPrefix = pick('xPrefix', 'x_prefix', 0);
  const trust = readTrust(options.trustedProxies);

  return function proxyFixApp(environ: Environ, startResponse) {
    const orig: ProxyFixOriginal = {
      REMOTE_ADDR: environ.REMOTE_ADDR,
      'tsgi.url_scheme': environ['tsgi.url_scheme'],
      HTTP_HOST: environ.HTTP_HOST,
      SERVER_NAME: environ.SERVER_NAME,
      SERVER_PORT: environ.SERVER_PORT,
      SCRIPT_NAME: environ.SCRIPT_NAME,
    };
    environ[PROXY_FIX_ORIG_KEY] = orig;
    if (!trust.trusts(environ.REMOTE_ADDR)) return app(environ, startResponse);

    const forValue = nthFromRight(xFor, environ.HTTP_X_FORWARDED_FOR);
    if (forValue !== null) {
      const addr = clientAddress(forValue);
      if (addr !== null) environ.REMOTE_ADDR = addr;
    }
    const proto = nthFromRight(xProto, environ.HTTP_X_FORWARDED_PROTO);
    if (proto !== null) {
      const p = proto.toLowerCase();
      if (p === 'http' || p === 'https') environ['tsgi.url_scheme'] = p;
    }
    const host = nthFromRight(xHost, environ.HTTP_X_FORWARDED_HOST);
    if (host !== null && HOST_PATTERN.test(host)) {
      const [name, port] = splitHostPort(host);
      environ.HTTP_HOST = host;
      environ.SERVER_NAME = name;
      environ.SERVER_PORT = port ?? (environ['tsgi.url_scheme'] === 'https' ? '443' : '80');
    }
    const port = nthFromRight(xPort, environ.HTTP_X_FORWARDED_PORT);
    if (port !== null && PORT.test(port) && Number(port) >= 1 && Number(port) <= 65535) {
      const current = environ.HTTP_HOST;
      if (current !== undefined) environ.HTTP_HOST = `${splitHostPort(current)[0]}:${port}`;
      environ.SERVER_PORT = port;
    }
    const prefix = nthFromRight(xPrefix, environ.HTTP_X_FORWARDED_PREFIX);
    if (prefix !== null && PREFIX.test(prefix) && !prefix.startsWith('//')) {
      // ENV-2: SCRIPT_NAME never ends with '/'.
      environ.SCRIPT_NAME = prefix.replace(/\/+$/, '');
    }
    return app(environ, startResponse);
  };
}
