import type { App, ResponseHeaders } from '@tsgi/gateway';
import { InvalidOptionError } from '../errors.js';
import { checkKnown, readBoolean, readEnum, readHeaderValue, readInteger, readStringList } from '../shared/options.js';
import { joinHeaders, lowerName } from '../shared/headers.js';
import { mapHeaders } from '../shared/respond.js';

/** HSTS settings; sent only on https requests unless `httpsOnly: false`. */
export interface HstsOptions {
  /** Seconds. Default 31536000 (one year). */
  maxAge?: number;
  /** Default true. */
  includeSubDomains?: boolean;
  /** Default false (preload lists are hard to leave; opt in deliberately). */
  preload?: boolean;
  /** Default true: a browser ignores HSTS over http, and sending it there can pin a dev host. */
  httpsOnly?: boolean;
}

/** A CSP as a string or as `{ 'default-src': ["'self'"], 'upgrade-insecure-requests': true }` (camelCase keys accepted). */
export type CspDirectives = Record<string, string | string[] | boolean>;

/** Options of {@link securityHeaders}. Every header can be set to `false` to leave it out. */
export interface SecurityHeadersOptions {
  hsts?: HstsOptions | false;
  /** Default: helmet's policy (self-only scripts, no objects, `frame-ancestors 'self'`) without upgrade-insecure-requests. */
  contentSecurityPolicy?: string | CspDirectives | false;
  /** Send the CSP as Content-Security-Policy-Report-Only. Default false. */
  cspReportOnly?: boolean;
  /** `X-Content-Type-Options: nosniff`. Default true. */
  noSniff?: boolean;
  /** Default `'no-referrer'`; an array becomes a fallback list. */
  referrerPolicy?: string | string[] | false;
  /** X-Frame-Options. Default `'SAMEORIGIN'` (pairs with the CSP's `frame-ancestors 'self'`). */
  frameOptions?: 'DENY' | 'SAMEORIGIN' | false;
  /** Default `'same-origin'`. */
  crossOriginOpenerPolicy?: 'same-origin' | 'same-origin-allow-popups' | 'unsafe-none' | false;
  /** Default `'same-origin'`. */
  crossOriginResourcePolicy?: 'same-origin' | 'same-site' | 'cross-origin' | false;
  /** Default false (off, as helmet: it breaks embedding third-party resources). */
  crossOriginEmbedderPolicy?: 'require-corp' | 'credentialless' | 'unsafe-none' | false;
  /** `Origin-Agent-Cluster: ?1`. Default true. */
  originAgentCluster?: boolean;
  /** Permissions-Policy as a string or `{ camera: [], geolocation: ['self'] }`. Default false. */
  permissionsPolicy?: string | Record<string, string[]> | false;
  /** `X-DNS-Prefetch-Control`. Default `'off'`. */
  dnsPrefetchControl?: 'on' | 'off' | false;
  /** `X-Permitted-Cross-Domain-Policies`. Default `'none'`. */
  permittedCrossDomainPolicies?: 'none' | 'master-only' | 'by-content-type' | 'all' | false;
  /** `X-XSS-Protection: 0` (turns off the buggy legacy auditor). Default true. */
  xssProtectionOff?: boolean;
  /**
   * Headers the app already set are left alone (default, `false`); `true`
   * replaces all of them with ours; a list of names replaces only those.
   */
  override?: boolean | string[];
}

const MW = 'securityHeaders';
const KNOWN = [
  'hsts', 'contentSecurityPolicy', 'cspReportOnly', 'noSniff', 'referrerPolicy', 'frameOptions',
  'crossOriginOpenerPolicy', 'crossOriginResourcePolicy', 'crossOriginEmbedderPolicy', 'originAgentCluster',
  'permissionsPolicy', 'dnsPrefetchControl', 'permittedCrossDomainPolicies', 'xssProtectionOff', 'override',
];

const DEFAULT_CSP: CspDirectives = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'font-src': ["'self'", 'https:', 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", 'https:', "'unsafe-inline'"],
};

const REFERRER_POLICIES = [
  'no-referrer', 'no-referrer-when-downgrade', 'origin', 'origin-when-cross-origin', 'same-origin',
  'strict-origin', 'strict-origin-when-cross-origin', 'unsafe-url',
];

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function cspString(value: string | CspDirectives): string {
  if (typeof value === 'string') return readHeaderValue(MW, 'contentSecurityPolicy', value, '');
  if (value === null || typeof value !== 'object') throw new InvalidOptionError(MW, 'contentSecurityPolicy', 'must be a string or a directive map', value);
  const parts: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const name = kebab(key);
    if (!/^[a-z-]+$/.test(name)) throw new InvalidOptionError(MW, `contentSecurityPolicy.${key}`, 'must be a directive name', key);
    if (v === false) continue;
    const sources = v === true ? [] : typeof v === 'string' ? [v] : v;
    // eslint-disable-next-line no-control-regex -- a CSP source may not hold controls (they would split the header)
    if (!Array.isArray(sources) || sources.some((s) => typeof s !== 'string' || /[;,\u0000-\u001f]/.test(s))) {
      throw new InvalidOptionError(MW, `contentSecurityPolicy.${key}`, 'must be true or source strings without ";" or ","', v);
    }
    parts.push(sources.length ? `${name} ${sources.join(' ')}` : name);
  }
  return parts.join('; ');
}

function permissionsString(value: string | Record<string, string[]>): string {
  if (typeof value === 'string') return readHeaderValue(MW, 'permissionsPolicy', value, '');
  return Object.entries(value)
    .map(([feature, allow]) => {
      if (!Array.isArray(allow)) throw new InvalidOptionError(MW, `permissionsPolicy.${feature}`, 'must be an array of origins', allow);
      return `${kebab(feature)}=(${allow.map((a) => (a === 'self' || a === '*' ? a : `"${a}"`)).join(' ')})`;
    })
    .join(', ');
}

type Entry = readonly [lower: string, name: string, value: string];

/**
 * Adds the usual browser security headers (helmet's set) to every response.
 * The header lists are built once here, so a request costs one pass over the
 * app's header names. A header the app set itself is kept as the app set it
 * (never duplicated) unless named in `override`.
 */
export function securityHeaders(app: App, options: SecurityHeadersOptions = {}): App {
  checkKnown(MW, options, KNOWN);
  const common: Entry[] = [];
  const add = (name: string, value: string) => common.push([name.toLowerCase(), name, value]);

  const csp = options.contentSecurityPolicy ?? DEFAULT_CSP;
  if (csp !== false) {
    add(readBoolean(MW, 'cspReportOnly', options.cspReportOnly, false) ? 'Content-Security-Policy-Report-Only' : 'Content-Security-Policy', cspString(csp));
  }
  if (readBoolean(MW, 'noSniff', options.noSniff, true)) add('X-Content-Type-Options', 'nosniff');
  const referrer = options.referrerPolicy ?? 'no-referrer';
  if (referrer !== false) {
    const list = readStringList(MW, 'referrerPolicy', referrer, []);
    for (const r of list) readEnum(MW, 'referrerPolicy', r, REFERRER_POLICIES, 'no-referrer');
    add('Referrer-Policy', list.join(', '));
  }
  const frame = options.frameOptions ?? 'SAMEORIGIN';
  if (frame !== false) add('X-Frame-Options', readEnum(MW, 'frameOptions', frame, ['DENY', 'SAMEORIGIN'], 'SAMEORIGIN'));
  const coop = options.crossOriginOpenerPolicy ?? 'same-origin';
  if (coop !== false) add('Cross-Origin-Opener-Policy', readEnum(MW, 'crossOriginOpenerPolicy', coop, ['same-origin', 'same-origin-allow-popups', 'unsafe-none'], 'same-origin'));
  const corp = options.crossOriginResourcePolicy ?? 'same-origin';
  if (corp !== false) add('Cross-Origin-Resource-Policy', readEnum(MW, 'crossOriginResourcePolicy', corp, ['same-origin', 'same-site', 'cross-origin'], 'same-origin'));
  const coep = options.crossOriginEmbedderPolicy ?? false;
  if (coep !== false) add('Cross-Origin-Embedder-Policy', readEnum(MW, 'crossOriginEmbedderPolicy', coep, ['require-corp', 'credentialless', 'unsafe-none'], 'require-corp'));
  if (readBoolean(MW, 'originAgentCluster', options.originAgentCluster, true)) add('Origin-Agent-Cluster', '?1');
  const perms = options.permissionsPolicy ?? false;
  if (perms !== false) add('Permissions-Policy', permissionsString(perms));
  const dns = options.dnsPrefetchControl ?? 'off';
  if (dns !== false) add('X-DNS-Prefetch-Control', readEnum(MW, 'dnsPrefetchControl', dns, ['on', 'off'], 'off'));
  const xdp = options.permittedCrossDomainPolicies ?? 'none';
  if (xdp !== false) add('X-Permitted-Cross-Domain-Policies', readEnum(MW, 'permittedCrossDomainPolicies', xdp, ['none', 'master-only', 'by-content-type', 'all'], 'none'));
  if (readBoolean(MW, 'xssProtectionOff', options.xssProtectionOff, true)) add('X-XSS-Protection', '0');

  const secure = common.slice();
  let hstsOnHttp = false;
  if (options.hsts !== false) {
    const h = options.hsts ?? {};
    checkKnown(`${MW} hsts`, h, ['maxAge', 'includeSubDomains', 'preload', 'httpsOnly']);
    const maxAge = readInteger(MW, 'hsts.maxAge', h.maxAge, 31536000);
    const sub = readBoolean(MW, 'hsts.includeSubDomains', h.includeSubDomains, true);
    const preload = readBoolean(MW, 'hsts.preload', h.preload, false);
    hstsOnHttp = !readBoolean(MW, 'hsts.httpsOnly', h.httpsOnly, true);
    const entry: Entry = ['strict-transport-security', 'Strict-Transport-Security', `max-age=${maxAge}${sub ? '; includeSubDomains' : ''}${preload ? '; preload' : ''}`];
    secure.push(entry);
    if (hstsOnHttp) common.push(entry);
  }

  const ov = options.override ?? false;
  let overridden: Set<string>;
  if (ov === true) overridden = new Set(secure.map((e) => e[0]));
  else if (ov === false) overridden = new Set();
  else overridden = new Set(readStringList(MW, 'override', ov, []).map((n) => n.toLowerCase()));

  const httpSet = precompute(common);
  const httpsSet = precompute(secure);

  function precompute(entries: Entry[]) {
    return {
      entries,
      names: new Set(entries.map((e) => e[0])),
      pairs: entries.map((e) => [e[1], e[2]] as [string, string]),
    };
  }

  return function securityHeadersApp(environ, startResponse) {
    const set = environ['tsgi.url_scheme'] === 'https' ? httpsSet : httpSet;
    return app(
      environ,
      mapHeaders(startResponse, (_status, headers) => {
        let present: Set<string> | undefined;
        for (const h of headers) {
          const lower = lowerName(h[0]);
          if (set.names.has(lower)) (present ??= new Set()).add(lower);
        }
        if (present === undefined) return joinHeaders(headers, set.pairs);
        const out: ResponseHeaders = [];
        for (const h of headers) {
          const lower = lowerName(h[0]);
          if (!overridden.has(lower) || !set.names.has(lower)) out.push(h);
        }
        for (const e of set.entries) if (!present.has(e[0]) || overridden.has(e[0])) out.push([e[1], e[2]]);
        return out;
      }),
    );
  };
}
