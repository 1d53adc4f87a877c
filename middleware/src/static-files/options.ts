import { statSync, realpathSync } from 'node:fs';
import { InvalidOptionError, MiddlewareError } from '../errors.js';
import { checkKnown, deepFreeze, readBoolean, readEnum, readHeaderValue, readInteger, readStringList } from '../shared/options.js';
import type { EtagKind } from './validators.js';

/** Options of {@link staticFiles}. */
export interface StaticFilesOptions {
  /** Directory to serve. Resolved (symlinks included) once, at construction; must exist. */
  root: string;
  /** URL prefix below SCRIPT_NAME that maps to `root`, matched on a segment boundary. Default `'/'`. */
  prefix?: string;
  /** File names tried for a directory request ending in `/`. Default `['index.html']`; `false` disables. */
  index?: string | string[] | false;
  /** `Cache-Control: public, max-age=<maxAge>` in seconds. Default 0. Ignored when `cacheControl` is set. */
  maxAge?: number;
  /** Adds `immutable` to the generated Cache-Control (for fingerprinted assets). Default false. */
  immutable?: boolean;
  /** A full Cache-Control value to send instead of the generated one; `false` sends none. */
  cacheControl?: string | false;
  /**
   * ETag form, from mtime and size as nginx does. `'strong'` (default) also
   * lets `If-Range` work; `'weak'` sends `W/"..."`; `false` sends none.
   */
  etag?: EtagKind;
  /** Send Last-Modified and honour If-Modified-Since / If-Unmodified-Since. Default true. */
  lastModified?: boolean;
  /**
   * Serve `<file>.br` / `<file>.gz` siblings when the client's Accept-Encoding
   * allows them. `true` means `['br', 'gzip']` (order breaks q-value ties). Default false.
   */
  precompressed?: boolean | Array<'br' | 'gzip'>;
  /**
   * When a file is missing (or refused as a dotfile or an out-of-root symlink)
   * or the method is not GET/HEAD, call the wrapped app (true, default) or
   * answer 404 / 405 here (false). Malformed paths get 400 either way.
   */
  fallthrough?: boolean;
  /** Names starting with `.`: `'ignore'` (default: as if missing), `'deny'` (403) or `'allow'`. */
  dotfiles?: 'ignore' | 'deny' | 'allow';
  /** Redirect a directory path without its trailing slash to the slashed form (301). Default true. */
  redirect?: boolean;
}

export interface ResolvedStaticOptions {
  root: string;
  /** '' for '/', else '/a/b' without trailing slash. */
  prefix: string;
  index: readonly string[];
  cacheControl: string | undefined;
  etag: EtagKind;
  lastModified: boolean;
  precompressed: readonly ('br' | 'gzip')[];
  fallthrough: boolean;
  dotfiles: 'ignore' | 'deny' | 'allow';
  redirect: boolean;
}

const MW = 'staticFiles';
const KNOWN = [
  'root', 'prefix', 'index', 'maxAge', 'immutable', 'cacheControl', 'etag',
  'lastModified', 'precompressed', 'fallthrough', 'dotfiles', 'redirect',
] as const;

export function resolveStaticOptions(options: StaticFilesOptions): ResolvedStaticOptions {
  checkKnown(MW, options, KNOWN);
  if (options === undefined || typeof options.root !== 'string' || options.root === '') {
    throw new InvalidOptionError(MW, 'root', 'must be a directory path', options?.root);
  }
  let root: string;
  try {
    root = realpathSync(options.root);
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
  } catch (cause) {
    throw new MiddlewareError('MW_ERR_STATIC_ROOT', MW, options.root, { cause });
  }

  const rawPrefix = options.prefix ?? '/';
  // eslint-disable-next-line no-control-regex -- a URL prefix may not hold controls
  if (typeof rawPrefix !== 'string' || !rawPrefix.startsWith('/') || rawPrefix.includes('//') || /[\\\u0000-\u001f?#]/.test(rawPrefix)) {
    throw new InvalidOptionError(MW, 'prefix', "must be a path starting with '/'", rawPrefix);
  }
  const prefix = rawPrefix.replace(/\/+$/, '');

  let index: string[];
  if (options.index === false) index = [];
  else {
    index = readStringList(MW, 'index', options.index, ['index.html']);
    for (const name of index) {
      // eslint-disable-next-line no-control-regex -- an index file name may not hold NUL
      if (name === '' || /[/\\\u0000]/.test(name) || name === '.' || name === '..') {
        throw new InvalidOptionError(MW, 'index', 'must hold plain file names', name);
      }
    }
  }

  const maxAge = readInteger(MW, 'maxAge', options.maxAge, 0);
  const immutable = readBoolean(MW, 'immutable', options.immutable, false);
  let cacheControl: string | undefined;
  if (options.cacheControl === false) cacheControl = undefined;
  else if (options.cacheControl !== undefined) cacheControl = readHeaderValue(MW, 'cacheControl', options.cacheControl, '');
  else cacheControl = `public, max-age=${maxAge}${immutable ? ', immutable' : ''}`;

  let precompressed: ('br' | 'gzip')[];
  if (options.precompressed === undefined || options.precompressed === false) precompressed = [];
  else if (options.precompressed === true) precompressed = ['br', 'gzip'];
  else if (Array.isArray(options.precompressed) && options.precompressed.every((c) => c === 'br' || c === 'gzip')) {
    precompressed = [...new Set(options.precompressed)];
  } else throw new InvalidOptionError(MW, 'precompressed', "must be a boolean or an array of 'br' and 'gzip'", options.precompressed);

  return deepFreeze({
    root,
    prefix,
    index,
    cacheControl,
    etag: options.etag === false ? false : readEnum(MW, 'etag', options.etag, ['strong', 'weak'] as const, 'strong'),
    lastModified: readBoolean(MW, 'lastModified', options.lastModified, true),
    precompressed,
    fallthrough: readBoolean(MW, 'fallthrough', options.fallthrough, true),
    dotfiles: readEnum(MW, 'dotfiles', options.dotfiles, ['ignore', 'deny', 'allow'] as const, 'ignore'),
    redirect: readBoolean(MW, 'redirect', options.redirect, true),
  });
}
