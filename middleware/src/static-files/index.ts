import { extname } from 'node:path';
import { contentType } from 'mime-types';
import { FileAccessError, openInside, type App, type Environ, type OpenedFile, type ResponseBody, type ResponseHeaders, type StartResponse } from '@tsgi/gateway';
import { encodingPreferences } from '@tsgi/http1';
import { localLocation } from '../shared/location.js';
import { respond, respondText } from '../shared/respond.js';
import { fileRangeBody, readWhole, SMALL_FILE } from './file-body.js';
import { resolveStaticOptions, type StaticFilesOptions } from './options.js';
import { parseRange } from './range.js';
import { splitPath } from './resolve.js';
import { evaluatePreconditions, httpDateSeconds, makeEtag, mtimeSeconds, strongMatch } from './validators.js';

export type { StaticFilesOptions } from './options.js';

const SUFFIX: Readonly<Record<string, string>> = { br: '.br', gzip: '.gz' };
const typeCache = new Map<string, string>();

function typeFor(name: string): string {
  const ext = extname(name).toLowerCase();
  let type = typeCache.get(ext);
  if (type === undefined) {
    type = (ext && contentType(ext)) || 'application/octet-stream';
    typeCache.set(ext, type);
  }
  return type;
}

/**
 * Serves files from `root` under `prefix`, like nginx's `location` +
 * `root` or serve-static.
 *
 * - GET and HEAD only; other methods fall through to `app` (or 405 with
 *   `fallthrough: false`).
 * - Files stream from the descriptor chunk by chunk as the server pulls
 *   (backpressure); small files (≤ 64 KiB) are read in one piece.
 * - ETag (strong by default) and Last-Modified; `If-None-Match` (which wins
 *   over `If-Modified-Since`) → 304; `If-Match` / `If-Unmodified-Since` → 412.
 * - A single `Range` → 206 with Content-Range; unsatisfiable → 416 with
 *   `Content-Range: bytes *\/size`; several ranges → 200 with the whole file;
 *   `If-Range` honoured.
 * - Content-Type from the extension (mime-types, with charset for text).
 * - `precompressed`: `.br`/`.gz` siblings by Accept-Encoding, with the
 *   original Content-Type, Content-Encoding and `Vary: Accept-Encoding`.
 *
 * Refusals, always the same way:
 * - 400 for malformed paths, never passed on: a `.`/`..` segment (also sent
 *   as `%2e%2e`), a backslash, NUL or other control character, or `%2f`,
 *   `%5c`, `%00` in the raw path.
 * - "not found" (fall through, or 404 with `fallthrough: false`) for missing
 *   files, dotfiles (default `dotfiles: 'ignore'`; `'deny'` gives 403),
 *   directories without an index, and anything whose real path (symlinks
 *   resolved) lies outside the root.
 */
export function staticFiles(app: App, options: StaticFilesOptions): App {
  const opts = resolveStaticOptions(options);
  const { root, prefix, index, cacheControl, etag: etagKind, lastModified, precompressed, fallthrough, redirect } = opts;
  const allowDot = opts.dotfiles === 'allow';
  const accepted = encodingPreferences(precompressed);
  const varyHeader: ResponseHeaders = precompressed.length > 0 ? [['Vary', 'Accept-Encoding']] : [];

  function notFound(environ: Environ, startResponse: StartResponse): ResponseBody | Promise<ResponseBody> {
    return fallthrough ? app(environ, startResponse) : respondText(startResponse, 404);
  }

  async function pickVariant(environ: Environ, dir: readonly string[], name: string, file: OpenedFile) {
    for (const coding of accepted(environ.HTTP_ACCEPT_ENCODING)) {
      const variant = await openInside(root, [...dir, name + SUFFIX[coding]], { dotfiles: allowDot });
      if (variant === null) continue;
      if (variant.stat.isFile()) {
        await file.fh.close();
        return { file: variant, coding };
      }
      await variant.fh.close();
    }
    return { file, coding: null };
  }

  async function serveFile(
    environ: Environ,
    startResponse: StartResponse,
    dir: readonly string[],
    name: string,
    original: OpenedFile,
  ): Promise<ResponseBody> {
    const { file, coding } = precompressed.length > 0 ? await pickVariant(environ, dir, name, original) : { file: original, coding: null };
    const { fh, stat } = file;
    let handedOff = false;
    try {
      const etag = makeEtag(stat, etagKind, coding);
      const mtime = mtimeSeconds(stat);
      const validators: ResponseHeaders = [];
      if (etag !== undefined) validators.push(['ETag', etag]);
      if (lastModified) validators.push(['Last-Modified', stat.mtime.toUTCString()]);
      if (cacheControl !== undefined) validators.push(['Cache-Control', cacheControl]);
      const [vary] = varyHeader;
      if (vary !== undefined) validators.push(vary);

      const pre = evaluatePreconditions(
        environ.HTTP_IF_MATCH,
        lastModified ? environ.HTTP_IF_UNMODIFIED_SINCE : undefined,
        environ.HTTP_IF_NONE_MATCH,
        lastModified ? environ.HTTP_IF_MODIFIED_SINCE : undefined,
        etag,
        mtime,
      );
      if (pre === 'not-modified') return respond(startResponse, 304, validators);
      if (pre === 'failed') return respondText(startResponse, 412);

      const size = stat.size;
      let start = 0;
      let length = size;
      let status = 200;
      const headers: ResponseHeaders = [['Content-Type', typeFor(name)], ['Accept-Ranges', 'bytes'], ...validators];
      if (coding !== null) headers.push(['Content-Encoding', coding]);

      const rangeHeader = environ.HTTP_RANGE;
      if (rangeHeader !== undefined && environ.REQUEST_METHOD === 'GET' && ifRangeHolds(environ.HTTP_IF_RANGE, etag, lastModified ? mtime : NaN)) {
        const range = parseRange(rangeHeader, size);
        if (range === 'unsatisfiable') {
          return respond(startResponse, 416, [['Content-Range', `bytes */${size}`], ...validators], '');
        }
        if (range !== null) {
          status = 206;
          start = range.start;
          length = range.end - range.start + 1;
          headers.push(['Content-Range', `bytes ${range.start}-${range.end}/${size}`]);
        }
      }
      const statusText = status === 200 ? '200 OK' : '206 Partial Content';

      if (environ.REQUEST_METHOD === 'HEAD') {
        headers.push(['Content-Length', String(length)]);
        startResponse(statusText, headers);
        return [];
      }
      if (length <= SMALL_FILE) {
        const buf = await readWhole(fh, start, length);
        headers.push(['Content-Length', String(buf.length)]);
        startResponse(statusText, headers);
        return buf.length === 0 ? [] : [buf];
      }
      headers.push(['Content-Length', String(length)]);
      startResponse(statusText, headers);
      handedOff = true;
      return fileRangeBody(fh, start, length);
    } finally {
      if (!handedOff) await fh.close();
    }
  }

  // Anything but "not found" (EACCES, EMFILE, EIO, ELOOP) is answered 403/500 and
  // logged, never disguised as a missing file.
  return async function staticFilesApp(environ, startResponse) {
    try {
      return await serveRequest(environ, startResponse);
    } catch (error) {
      if (!(error instanceof FileAccessError)) throw error;
      environ['tsgi.errors'].write(`staticFiles: ${environ.REQUEST_METHOD} ${environ.SCRIPT_NAME}${environ.PATH_INFO}: ${error.message} (answered ${error.status})\n`);
      return respondText(startResponse, error.status);
    }
  };

  async function serveRequest(environ: Environ, startResponse: StartResponse): Promise<ResponseBody> {
    const pathInfo = environ.PATH_INFO;
    let rel: string;
    if (prefix === '') rel = pathInfo;
    else if (pathInfo === prefix) rel = '';
    else if (pathInfo.startsWith(prefix) && pathInfo.charCodeAt(prefix.length) === 47) rel = pathInfo.slice(prefix.length);
    else return app(environ, startResponse);

    const method = environ.REQUEST_METHOD;
    if (method !== 'GET' && method !== 'HEAD') {
      return fallthrough ? app(environ, startResponse) : respondText(startResponse, 405, [['Allow', 'GET, HEAD']]);
    }
    const split = splitPath(rel, environ.RAW_URI, allowDot);
    if (split.kind === 'bad') return respondText(startResponse, 400);
    if (split.kind === 'dotfile') return opts.dotfiles === 'deny' ? respondText(startResponse, 403) : notFound(environ, startResponse);
    const { segments, trailingSlash } = split;

    const opened = await openInside(root, segments, { dotfiles: allowDot });
    if (opened === null) return notFound(environ, startResponse);

    if (opened.stat.isFile()) {
      // No name: the root itself is a file (it was a directory at startup), so nothing here to serve.
      const name = segments[segments.length - 1];
      if (trailingSlash || name === undefined) {
        await opened.fh.close();
        return notFound(environ, startResponse);
      }
      return serveFile(environ, startResponse, segments.slice(0, -1), name, opened);
    }
    await opened.fh.close();
    if (!opened.stat.isDirectory()) return notFound(environ, startResponse);

    if (!trailingSlash) {
      if (!redirect) return notFound(environ, startResponse);
      const path = `${environ.SCRIPT_NAME}${prefix}/${segments.join('/')}${segments.length ? '/' : ''}`;
      const location = localLocation(path, environ.QUERY_STRING);
      return respond(startResponse, 301, [['Location', location], ['Content-Type', 'text/plain; charset=utf-8']], `Redirecting to ${location}\n`);
    }
    for (const name of index) {
      const file = await openInside(root, [...segments, name], { dotfiles: allowDot });
      if (file === null) continue;
      if (file.stat.isFile()) return serveFile(environ, startResponse, segments, name, file);
      await file.fh.close();
    }
    return notFound(environ, startResponse);
  }
}

/** If-Range (RFC 9110 §13.1.5): a strong ETag that matches, or exactly the Last-Modified date. */
function ifRangeHolds(ifRange: string | undefined, etag: string | undefined, mtime: number): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return strongMatch(v, etag, false);
  return httpDateSeconds(v) === mtime;
}
