import { InvalidOptionError, MiddlewareError } from '../errors.js';
import { checkKnown, readBoolean, readEnum, readInteger, readString, readStringList } from '../shared/options.js';
import { HOST_PATTERN } from '../shared/location.js';

export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

/** One entry of the redirect map. */
export interface RedirectRule {
  /** A path (`/a/b`), or an absolute http(s) URL: only a map entry may send clients off-site. */
  to: string;
  /** Default: the map's `status` (301). */
  status?: RedirectStatus;
  /** Also match below `from` (`/docs` → `/docs/x`), appending the rest to `to`. Default false. */
  prefix?: boolean;
  /** Append the request's query string. Default true. */
  preserveQuery?: boolean;
}

/** Options of {@link redirects}. */
export interface RedirectsOptions {
  /**
   * Send http requests to https. `tsgi.url_scheme` is the only input, so
   * behind a proxy put {@link proxyFix} (or the server's forwardedAllowIps) outside.
   * `true` = `{}`.
   */
  https?: boolean | {
    /** Default: 301 for GET/HEAD, 308 otherwise (keeps the method and body). */
    status?: RedirectStatus;
    /** Canonical host for the https URL; default: the request's validated Host, port dropped. */
    host?: string;
    /** https port when not 443. */
    port?: number;
    /** PATH_INFO prefixes never redirected (health checks). */
    exclude?: string[];
  };
  /** Exact paths (relative to SCRIPT_NAME) → target path / absolute URL, or a {@link RedirectRule}. */
  map?: Record<string, string | RedirectRule>;
  /** Default status of map entries. Default 301. */
  status?: RedirectStatus;
  /**
   * `'add'`: `/a` → `/a/` (last segments that look like files, `x.css`, are
   * left alone); `'remove'`: `/a/` → `/a`; default false.
   */
  trailingSlash?: 'add' | 'remove' | false;
  /** Status of trailing-slash redirects. Default 308 (as Flask's strict slashes). */
  trailingSlashStatus?: RedirectStatus;
}

export interface CompiledRule {
  to: string;
  absolute: boolean;
  status: number;
  preserveQuery: boolean;
}

export interface ResolvedRedirects {
  https: { status: number | undefined; host: string | undefined; port: number | undefined; exclude: string[] } | undefined;
  exact: Map<string, CompiledRule>;
  prefixes: Map<string, CompiledRule>;
  trailingSlash: 'add' | 'remove' | false;
  trailingSlashStatus: number;
}

const MW = 'redirects';
const STATUSES: RedirectStatus[] = [301, 302, 303, 307, 308];
// eslint-disable-next-line no-control-regex -- a redirect source may not hold controls
const FROM = /^\/[^\\\u0000-\u001f?#]*$/;
// eslint-disable-next-line no-control-regex -- a local target may not hold controls or spaces
const LOCAL_TARGET = /^\/(?![/\\])[^\\\u0000-\u0020]*$/;

function compileTarget(from: string, raw: string): { to: string; absolute: boolean } {
  if (LOCAL_TARGET.test(raw)) return { to: raw, absolute: false };
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // eslint-disable-next-line no-control-regex -- an absolute target may not hold controls or spaces
  if (url && (url.protocol === 'https:' || url.protocol === 'http:') && /^https?:\/\/[^/\\]/i.test(raw) && !/[\u0000-\u0020]/.test(raw)) {
    return { to: raw, absolute: true };
  }
  throw new MiddlewareError('MW_ERR_REDIRECT_TARGET', MW, from, raw);
}

export function resolveRedirects(options: RedirectsOptions): ResolvedRedirects {
  checkKnown(MW, options, ['https', 'map', 'status', 'trailingSlash', 'trailingSlashStatus']);
  const defaultStatus = readEnum(MW, 'status', options.status, STATUSES, 301);

  let https: ResolvedRedirects['https'];
  if (options.https === true || (options.https && typeof options.https === 'object')) {
    const h = options.https === true ? {} : options.https;
    checkKnown(`${MW} https`, h, ['status', 'host', 'port', 'exclude']);
    const host = h.host === undefined ? undefined : readString(MW, 'https.host', h.host, '');
    if (host !== undefined && !HOST_PATTERN.test(host)) throw new InvalidOptionError(MW, 'https.host', 'must be a host name', host);
    https = {
      status: h.status === undefined ? undefined : readEnum(MW, 'https.status', h.status, STATUSES, 301),
      host,
      port: h.port === undefined ? undefined : readInteger(MW, 'https.port', h.port, 443, 1, 65535),
      exclude: readStringList(MW, 'https.exclude', h.exclude, []),
    };
  } else if (options.https !== undefined && options.https !== false) {
    throw new InvalidOptionError(MW, 'https', 'must be a boolean or an object', options.https);
  }

  const exact = new Map<string, CompiledRule>();
  const prefixes = new Map<string, CompiledRule>();
  for (const [from, entry] of Object.entries(options.map ?? {})) {
    if (!FROM.test(from)) throw new InvalidOptionError(MW, `map[${JSON.stringify(from)}]`, "must be keyed by a path starting with '/'", from);
    const rule: RedirectRule = typeof entry === 'string' ? { to: entry } : entry;
    if (rule === null || typeof rule !== 'object' || typeof rule.to !== 'string') {
      throw new InvalidOptionError(MW, `map[${JSON.stringify(from)}]`, 'must be a target string or { to, status?, prefix? }', entry);
    }
    checkKnown(`${MW} map[${JSON.stringify(from)}]`, rule, ['to', 'status', 'prefix', 'preserveQuery']);
    const target = compileTarget(from, rule.to);
    const compiled: CompiledRule = {
      ...target,
      status: readEnum(MW, `map[${JSON.stringify(from)}].status`, rule.status, STATUSES, defaultStatus),
      preserveQuery: readBoolean(MW, `map[${JSON.stringify(from)}].preserveQuery`, rule.preserveQuery, true),
    };
    if (readBoolean(MW, `map[${JSON.stringify(from)}].prefix`, rule.prefix, false)) prefixes.set(from.replace(/\/+$/, '') || '/', compiled);
    else exact.set(from, compiled);
  }

  const ts = options.trailingSlash ?? false;
  return {
    https,
    exact,
    prefixes,
    trailingSlash: ts === false ? false : readEnum(MW, 'trailingSlash', ts, ['add', 'remove'] as const, 'add'),
    trailingSlashStatus: readEnum(MW, 'trailingSlashStatus', options.trailingSlashStatus, STATUSES, 308),
  };
}
