import { wireError } from './errors.js';

/** A request-target split into what servers and proxies need (RFC 9112 section 3.2). */
export interface TargetParts {
  /** Path part, still percent-encoded; '' for authority-form and asterisk-form. */
  rawPath: string;
  /** Raw query after '?', '' when none. */
  query: string;
  /** Authority of an absolute-form or authority-form target, '' otherwise. */
  authority: string;
  /** The target in origin-form (what a proxy sends upstream): `/p?q`, `*`, or the authority for CONNECT. */
  origin: string;
}

/** Host field value or target authority: IP-literal or reg-name, optional port (RFC 9110 section 4.2.3). */
const AUTHORITY_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(?::[0-9]{0,5})?$/;
const CONNECT_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+):[0-9]{1,5}$/;
/** A '%' not starting a percent-encoded octet. */
const BROKEN_PERCENT_RE = /%(?![0-9A-Fa-f]{2})/;

/** True when `value` is a valid Host field value ('' allowed, as RFC 9112 section 3.2 permits). */
export function isValidHost(value: string): boolean {
  return AUTHORITY_RE.test(value);
}

function splitPathQuery(rest: string, authority: string): TargetParts {
  const q = rest.indexOf('?');
  if (q === -1) return { rawPath: rest, query: '', authority, origin: rest };
  if (q === 0) return { rawPath: '/', query: rest.slice(1), authority, origin: `/${rest}` };
  return { rawPath: rest.slice(0, q), query: rest.slice(q + 1), authority, origin: rest };
}

/** Length of `http://` or `https://` at the start of `t` (any case), 0 when neither. */
function schemeLength(t: string): number {
  const c0 = t.charCodeAt(0) | 0x20;
  if (c0 !== 0x68 || t.length < 8) return 0;
  const head = t.slice(0, 8).toLowerCase();
  if (head.startsWith('http://')) return 7;
  if (head === 'https://') return 8;
  return 0;
}

/**
 * Splits origin-form (`/p?q`), absolute-form (`http://h/p?q`), authority-form
 * (`h:443`, CONNECT only) and asterisk-form (`*`, OPTIONS only). The target's
 * bytes are already known to be visible ASCII. Throws H1_ERR_BAD_TARGET when
 * it is in none of these forms, H1_ERR_BAD_PATH when its path is not valid
 * percent-encoded UTF-8 or decodes to a NUL.
 */
export function splitTarget(target: string, method: string): TargetParts {
  if (target.includes('#')) throw wireError('H1_ERR_BAD_TARGET', 'fragment in the request-target');
  let parts: TargetParts;
  if (target.charCodeAt(0) === 0x2f) {
    parts = splitPathQuery(target, '');
  } else if (method === 'CONNECT') {
    if (!CONNECT_RE.test(target)) throw wireError('H1_ERR_BAD_TARGET', 'CONNECT needs host:port');
    return { rawPath: '', query: '', authority: target, origin: target };
  } else if (target === '*') {
    if (method !== 'OPTIONS') throw wireError('H1_ERR_BAD_TARGET', 'asterisk-form is for OPTIONS only');
    return { rawPath: '', query: '', authority: '', origin: '*' };
  } else {
    const s = schemeLength(target);
    if (s === 0) throw wireError('H1_ERR_BAD_TARGET', 'not origin-form nor an http(s) absolute-form');
    let end = s;
    while (end < target.length) {
      const c = target.charCodeAt(end);
      if (c === 0x2f || c === 0x3f) break;
      end++;
    }
    const authority = target.slice(s, end);
    // RFC 9110 section 4.2.4: userinfo in an http(s) URI is treated as an error.
    if (authority === '' || authority.includes('@') || !AUTHORITY_RE.test(authority)) {
      throw wireError('H1_ERR_BAD_TARGET', 'invalid authority in absolute-form');
    }
    parts = splitPathQuery(end === target.length ? '/' : target.slice(end), authority);
  }
  const path = parts.rawPath;
  if (path.includes('%')) {
    if (BROKEN_PERCENT_RE.test(path)) throw wireError('H1_ERR_BAD_PATH', 'malformed percent-encoding');
    // A NUL in PATH_INFO truncates paths in C libraries and file APIs; nginx answers 400 too.
    if (path.includes('%00')) throw wireError('H1_ERR_BAD_PATH', 'NUL once percent-decoded');
    try {
      decodeURIComponent(path);
    } catch {
      throw wireError('H1_ERR_BAD_PATH', 'not UTF-8 once percent-decoded');
    }
  }
  return parts;
}
