import { createReadStream, type BigIntStats } from 'node:fs';
import { basename, isAbsolute, posix, resolve } from 'node:path';
import { realpath, stat } from 'node:fs/promises';
import { realPathInside, type Environ, type InsideRootPolicy } from '@tsgi/gateway';
import mime from 'mime-types';
import { NotFound, PreconditionFailed, RequestedRangeNotSatisfiable } from './http-exceptions.js';
import { Response } from './response.js';
import { parseHttpDate as httpDateSeconds, TOKEN_RE } from '@tsgi/http1';

/** Options of {@link sendFile} (Flask's `send_file` keywords). */
export interface SendFileOptions {
  /** Content type; guessed from the name otherwise (Python's mimetypes table). */
  mimetype?: string;
  /** `Content-Disposition: attachment` instead of `inline`. */
  asAttachment?: boolean;
  /** The file name sent in Content-Disposition (default: the file's base name). */
  downloadName?: string;
  /** Cache-Control max-age in seconds; null (Flask's default) sends `no-cache`. */
  maxAge?: number | null;
  /** Answer conditional and range requests (default true). */
  conditional?: boolean;
  /** Send an ETag (default true). */
  etag?: boolean;
}

// Python's mimetypes where it differs from mime-db, so types match Flask's.
const PYTHON_TYPES: Readonly<Record<string, string>> = { js: 'text/javascript', mjs: 'text/javascript', xml: 'text/xml', ico: 'image/vnd.microsoft.icon', wasm: 'application/wasm' };
const ENCODINGS: Readonly<Record<string, string>> = { gz: 'gzip', br: 'br', bz2: 'bzip2', xz: 'xz', Z: 'compress' };

/** Python's mimetypes.guess_type: [type, encoding] for a file name (`x.tar.gz` → application/x-tar, gzip). */
export function guessType(name: string): [string | undefined, string | undefined] {
  let rest = name;
  let encoding: string | undefined;
  const dot = rest.lastIndexOf('.');
  if (dot > 0 && ENCODINGS[rest.slice(dot + 1)] !== undefined) {
    encoding = ENCODINGS[rest.slice(dot + 1)];
    rest = rest.slice(0, dot);
  }
  const ext = rest.lastIndexOf('.') > 0 ? rest.slice(rest.lastIndexOf('.') + 1).toLowerCase() : '';
  if (ext === '') return [undefined, encoding];
  return [PYTHON_TYPES[ext] ?? (mime.lookup(ext) || undefined), encoding];
}

/**
 * Werkzeug's ETag for a path: `"<mtime>-<size>-<adler32(path)>"`. The mtime is
 * Python's st_mtime (seconds + nanoseconds * 1e-9 as one double) in its repr.
 */
function fileEtag(path: string, info: BigIntStats): string {
  const ns = info.mtimeNs;
  const seconds = Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) * 1e-9;
  const text = Number.isInteger(seconds) ? `${seconds}.0` : String(seconds);
  return `"${text}-${info.size}-${adler32(Buffer.from(path, 'utf8'))}"`;
}

/** The file's bytes from `start` to `end` (exclusive), opened only when the server first pulls. */
async function* fileChunks(path: string, start: number, end: number): AsyncGenerator<Buffer> {
  yield* createReadStream(path, { start, end: end - 1 }) as AsyncIterable<Buffer>;
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Only real HTTP-dates count: Date.parse took `2030` for a date and answered 304 (Werkzeug ignores it). */
function parseHttpDate(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const seconds = httpDateSeconds(text);
  return Number.isNaN(seconds) ? undefined : seconds;
}

function etagList(header: string | undefined): string[] {
  if (!header) return [];
  return header.split(',').map((tag) => tag.trim().replace(/^W\//, '')).filter(Boolean);
}

/** Werkzeug's parse_range_header + range_for_length: one satisfiable `bytes=` range, else undefined (416). */
function singleRange(header: string, size: number): [number, number] | undefined {
  const match = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!match) return undefined;
  const specs = match[1]!.split(',').map((item) => item.trim());
  if (specs.length !== 1) return undefined;
  const spec = /^(\d*)-(\d*)$/.exec(specs[0]!);
  if (!spec || (spec[1] === '' && spec[2] === '')) return undefined;
  if (spec[1] === '') {
    const suffix = Number(spec[2]);
    return suffix === 0 ? undefined : [Math.max(0, size - suffix), size];
  }
  const start = Number(spec[1]);
  const end = spec[2] === '' ? size : Math.min(Number(spec[2]) + 1, size);
  if (spec[2] !== '' && Number(spec[2]) < start) return undefined;
  return start < size ? [start, end] : undefined;
}

/**
 * A file as Flask's `send_file`: type from the name, Content-Disposition,
 * Last-Modified, Werkzeug's ETag, `Cache-Control: no-cache` (or `public,
 * max-age`), and conditional answers: 304, 412, one range → 206, several
 * or unsatisfiable ranges → 416. Streams the file.
 */
export async function sendFile(environ: Environ, path: string, options: SendFileOptions = {}): Promise<Response> {
  const full = resolve(path);
  const info = await stat(full, { bigint: true }).catch(() => undefined);
  if (info === undefined || !info.isFile()) throw new NotFound();
  const mtime = Number(info.mtimeMs / 1000n);
  const name = options.downloadName ?? basename(full);
  const headers: Array<[string, string]> = [];
  let mimetype = options.mimetype;
  if (mimetype === undefined) {
    const [type, encoding] = guessType(name);
    mimetype = type ?? 'application/octet-stream';
    if (encoding !== undefined && !options.asAttachment) headers.push(['Content-Encoding', encoding]);
  }
  headers.push(['Content-Disposition', `${options.asAttachment ? 'attachment' : 'inline'}; ${dispositionName(name)}`]);
  const response = new Response(undefined, { mimetype, headers });
  const size = Number(info.size);
  response.headers.set('Last-Modified', new Date(mtime * 1000).toUTCString());
  const maxAge = options.maxAge ?? null;
  if (maxAge === null) response.headers.set('Cache-Control', 'no-cache');
  else {
    response.headers.set('Cache-Control', maxAge > 0 ? `public, max-age=${maxAge}` : `no-cache, max-age=${maxAge}`);
    response.headers.set('Expires', new Date((Math.floor(Date.now() / 1000) + maxAge) * 1000).toUTCString());
  }
  const etag = options.etag === false ? undefined : fileEtag(full, info);
  if (etag !== undefined) response.headers.set('ETag', etag);
  let start = 0;
  let end = size;
  const method = environ.REQUEST_METHOD;
  if (options.conditional !== false && (method === 'GET' || method === 'HEAD')) {
    response.headers.set('Accept-Ranges', 'bytes');
    const range = environ.HTTP_RANGE;
    const ifRange = environ.HTTP_IF_RANGE;
    const rangeApplies = range !== undefined && size > 0 && (!ifRange || ifRange === etag || parseHttpDate(ifRange) === mtime);
    if (rangeApplies) {
      const bounds = singleRange(range, size);
      if (bounds === undefined) throw new RequestedRangeNotSatisfiable(undefined, { length: size });
      [start, end] = bounds;
      response.status = 206;
      response.headers.set('Content-Range', `bytes ${start}-${end - 1}/${size}`);
    } else if (!isModified(environ, etag, mtime)) {
      response.status = environ.HTTP_IF_MATCH ? 412 : 304;
    }
  }
  if (response.status === 412) throw new PreconditionFailed();
  if (response.status === 304) return response;
  response.headers.set('Content-Length', String(end - start));
  response.body = end > start && method !== 'HEAD' ? fileChunks(full, start, end) : '';
  return response;
}

/** Werkzeug's is_resource_modified: If-None-Match (weak comparison) wins over If-Modified-Since. */
function isModified(environ: Environ, etag: string | undefined, mtime: number): boolean {
  let unmodified = false;
  const since = parseHttpDate(environ.HTTP_IF_MODIFIED_SINCE);
  if (since !== undefined && mtime <= since) unmodified = true;
  const tags = etagList(environ.HTTP_IF_NONE_MATCH);
  if (etag !== undefined && tags.length > 0) unmodified = tags.includes('*') || tags.includes(etag);
  return !unmodified;
}

function dispositionName(name: string): string {
  if (/^[\x20-\x7e]*$/.test(name)) return `filename=${quoteValue(name)}`;
  const simple = name.normalize('NFKD').replace(/[^\x20-\x7e]/g, '');
  const quoted = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  // The ASCII fallback is escaped too: a bare `"` in it ended the value, so a name could add its own filename*.
  return `filename=${quoteValue(simple)}; filename*=UTF-8''${quoted}`;
}

/** Werkzeug's quote_header_value: a token as it is, anything else quoted with `\` and `"` escaped. */
function quoteValue(value: string): string {
  return TOKEN_RE.test(value) ? value : `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Werkzeug's safe_join: `name` normalised (`a/../b` is `b`), refused when it
 * would climb out (`..`, `../x`), is absolute, or has a backslash or NUL.
 */
export function safeJoin(directory: string, name: string): string | undefined {
  if (name === '' || name.includes('\0') || name.includes('\\')) return undefined;
  const normal = posix.normalize(name);
  if (posix.isAbsolute(normal) || isAbsolute(name) || normal === '..' || normal.startsWith('../')) return undefined;
  return `${directory.replace(/\/+$/, '')}/${normal.replace(/\/+$/, '')}`;
}

/** Options of {@link sendFromDirectory}: send_file's, and which files outside the safe default may be sent. */
export interface SendFromDirectoryOptions extends SendFileOptions, InsideRootPolicy {}

/**
 * Flask's `send_from_directory`: 404 unless `name` is a file inside
 * `directory`. Unlike Flask, and as the `staticFiles` middleware (the same
 * `@tsgi/gateway` policy): a dot-entry (`.env`, `.git/config`) or a symlink
 * whose target is outside `directory` is 404 too, unless `dotfiles` /
 * `symlinksOutsideRoot` allow it.
 */
export async function sendFromDirectory(environ: Environ, directory: string, name: string, options: SendFromDirectoryOptions = {}): Promise<Response> {
  const path = safeJoin(directory, name);
  if (path === undefined) throw new NotFound();
  const root = await realpath(resolve(directory)).catch(() => undefined);
  if (root === undefined) throw new NotFound();
  const segments = posix.normalize(name).split('/').filter((s) => s !== '');
  if ((await realPathInside(root, segments, options)) === null) throw new NotFound();
  // The path as joined, not the real one: Werkzeug's ETag hashes the path it was given.
  return sendFile(environ, path, options);
}
