import { constants, type Stats } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { sep } from 'node:path';
import { errorCode, messageOf } from '@tsgi/errors';

/**
 * The one static-file policy of the project, shared by the `staticFiles`
 * middleware and the framework's `staticFolder` / `sendFromDirectory`:
 * a request may only reach a file whose real path (every symlink resolved)
 * is inside the root, and no dot-entry (`.env`, `.git/`), unless the caller
 * allows it. A refused file looks exactly like a missing one.
 */
export interface InsideRootPolicy {
  /** Serve names starting with `.` (in the request or in the resolved path). Default false. */
  dotfiles?: boolean;
  /** Follow symlinks whose target is outside the root. Default false. */
  symlinksOutsideRoot?: boolean;
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
  constructor(path: string, cause: unknown) {
    const code = errorCode(cause) ?? 'EUNKNOWN';
    super(`${code} on ${path}: ${messageOf(cause)}`, { cause });
    this.name = 'FileAccessError';
    this.code = code;
    this.status = code === 'EACCES' || code === 'EPERM' ? 403 : 500;
  }
}

/** null for "not found"; throws FileAccessError for any other failure. */
function missingOrThrow(path: string, error: unknown): null {
  const code = errorCode(error);
  if (code !== undefined && NOT_FOUND_CODES.has(code)) return null;
  throw new FileAccessError(path, error);
}

function hasDotSegment(rel: string): boolean {
  if (rel.charCodeAt(0) === 46) return true;
  return rel.includes(sep + '.');
}

/**
 * The real path of `root/segments` when the policy lets a request reach it,
 * null when it is missing or refused (a dot-entry, a symlink out of the root).
 * `root` must already be a real path (`realpath` once, at setup). Errors other
 * than ENOENT/ENOTDIR/ENAMETOOLONG throw FileAccessError.
 */
export async function realPathInside(root: string, segments: readonly string[], policy: InsideRootPolicy = {}): Promise<string | null> {
  if (policy.dotfiles !== true && segments.some((s) => s.charCodeAt(0) === 46)) return null;
  const candidate = segments.length === 0 ? root : root + sep + segments.join(sep);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (error) {
    return missingOrThrow(candidate, error);
  }
  if (real === root || policy.symlinksOutsideRoot === true) return real;
  const prefix = root.endsWith(sep) ? root : root + sep;
  if (!real.startsWith(prefix)) return null;
  if (policy.dotfiles !== true && hasDotSegment(real.slice(prefix.length))) return null;
  return real;
}

export interface OpenedFile {
  fh: FileHandle;
  stat: Stats;
}

/**
 * Opens `root/segments` when {@link realPathInside} allows it. The resolved
 * path is opened with O_NOFOLLOW and everything after uses the descriptor's
 * fstat, so a file swapped in between cannot change what is served.
 */
export async function openInside(root: string, segments: readonly string[], policy: InsideRootPolicy = {}): Promise<OpenedFile | null> {
  const real = await realPathInside(root, segments, policy);
  if (real === null) return null;
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
    throw new FileAccessError(real, error);
  }
}
