import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { sep } from 'node:path';

/**
 * Mapping a decoded request path to a file under the root, refusing every
 * traversal shape. PATH_INFO is already percent-decoded by the server
 * (ENV-3) and is never decoded again here, so `%252e%252e` stays a literal
 * name; encoded separators are caught on RAW_URI, the target as sent.
 */

export type Segments = { kind: 'ok'; segments: string[]; trailingSlash: boolean } | { kind: 'bad' } | { kind: 'dotfile' };

// Controls (NUL included) and backslashes are never part of a file we serve.
// eslint-disable-next-line no-control-regex -- controls are never part of a file we serve
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f\\]/;
// `%2f`, `%5c` or `%00` in the raw path would otherwise turn into separators
// or NUL after decoding; a legitimate asset URL never carries them.
const ENCODED_SEPARATOR = /%(?:2f|5c|00)/i;

/** Splits the part of PATH_INFO below the prefix into checked segments. */
export function splitPath(rel: string, rawUri: unknown, allowDotfiles: boolean): Segments {
  if (FORBIDDEN_CHARS.test(rel)) return { kind: 'bad' };
  if (typeof rawUri === 'string') {
    const q = rawUri.indexOf('?');
    if (ENCODED_SEPARATOR.test(q === -1 ? rawUri : rawUri.slice(0, q))) return { kind: 'bad' };
  }
  const segments: string[] = [];
  let dotfile = false;
  for (const s of rel.split('/')) {
    if (s === '') continue;
    if (s === '.' || s === '..') return { kind: 'bad' };
    if (s.charCodeAt(0) === 46 /* . */) dotfile = true;
    segments.push(s);
  }
  if (dotfile && !allowDotfiles) return { kind: 'dotfile' };
  return { kind: 'ok', segments, trailingSlash: rel.endsWith('/') };
}

/** Errors that mean "there is no such file": only these look missing (nginx maps the same set to 404). */
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG']);

/**
 * A file system error other than "not found" (EACCES, EMFILE, EIO, ELOOP...):
 * the file may well exist, so answering 404 would hide an outage or a
 * permission mistake. EACCES/EPERM answer 403, everything else 500.
 */
export class FileAccessError extends Error {
  readonly code: string;
  readonly status: 403 | 500;
  constructor(path: string, cause: NodeJS.ErrnoException) {
    const code = cause.code ?? 'EUNKNOWN';
    super(`${code} on ${path}: ${cause.message}`, { cause });
    this.name = 'FileAccessError';
    this.code = code;
    this.status = code === 'EACCES' || code === 'EPERM' ? 403 : 500;
  }
}

/** null for "not found"; throws FileAccessError for any other failure. */
function missingOrThrow(path: string, error: unknown): null {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined && NOT_FOUND_CODES.has(code)) return null;
  throw new FileAccessError(path, error as NodeJS.ErrnoException);
}

export interface OpenedFile {
  fh: FileHandle;
  stat: Stats;
}

/**
 * Opens `root/segments` if, after resolving every symlink, it is still
 * inside the root (and, unless dotfiles are allowed, names no dot-entry
 * there). The resolved path is opened with O_NOFOLLOW and everything after
 * uses the descriptor's fstat, so a file swapped in between cannot change
 * what is served. Returns null for "not found" in every refused case, so a
 * symlink pointing outside looks exactly like a missing file. Errors other
 * than ENOENT/ENOTDIR/ENAMETOOLONG throw FileAccessError.
 */
export async function openInside(
  root: string,
  segments: readonly string[],
  allowDotfiles: boolean,
): Promise<OpenedFile | null> {
  const candidate = segments.length === 0 ? root : root + sep + segments.join(sep);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (error) {
    return missingOrThrow(candidate, error);
  }
  if (real !== root) {
    const prefix = root.endsWith(sep) ? root : root + sep;
    if (!real.startsWith(prefix)) return null;
    if (!allowDotfiles && hasDotSegment(real.slice(prefix.length))) return null;
  }
  // O_NONBLOCK: opening a FIFO left in the root must not hang a threadpool thread.
  let fh: FileHandle;
  try {
    fh = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return missingOrThrow(real, error);
  }
  try {
    return { fh, stat: await fh.stat() };
  } catch (error) {
    await fh.close().catch(() => undefined);
    throw new FileAccessError(real, error as NodeJS.ErrnoException);
  }
}

function hasDotSegment(rel: string): boolean {
  if (rel.charCodeAt(0) === 46) return true;
  return rel.includes(sep + '.');
}
