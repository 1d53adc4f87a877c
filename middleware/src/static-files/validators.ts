import type { Stats } from 'node:fs';
import { parseHttpDate } from '@tsgi/http1';

/**
 * Validators and preconditions for static files (RFC 9110 §8.8, §13):
 * ETag and Last-Modified from the file's stat, If-Match / If-None-Match /
 * If-Modified-Since / If-Unmodified-Since evaluated in the RFC's order.
 */

export type EtagKind = 'strong' | 'weak' | false;

/**
 * nginx's form: `"<mtime hex>-<size hex>"`, plus the content coding for a
 * precompressed variant so `.br`, `.gz` and the original never share a tag.
 */
export function makeEtag(st: Stats, kind: EtagKind, coding: string | null): string | undefined {
  if (kind === false) return undefined;
  const body = `${Math.floor(st.mtimeMs).toString(16)}-${st.size.toString(16)}${coding ? `-${coding}` : ''}`;
  return kind === 'weak' ? `W/"${body}"` : `"${body}"`;
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** Weak comparison (If-None-Match): any listed tag with the same opaque value, or `*`. */
export function noneMatchHits(header: string, etag: string | undefined): boolean {
  if (header.trim() === '*') return true;
  if (etag === undefined) return false;
  const mine = opaque(etag);
  for (const t of header.split(',')) if (opaque(t.trim()) === mine) return true;
  return false;
}

/** Strong comparison (If-Match, If-Range): both tags strong and equal, or `*` for If-Match. */
export function strongMatch(header: string, etag: string | undefined, allowStar: boolean): boolean {
  if (allowStar && header.trim() === '*') return true;
  if (etag === undefined || etag.startsWith('W/')) return false;
  for (const t of header.split(',')) if (t.trim() === etag) return true;
  return false;
}

/** Seconds resolution, as HTTP dates carry no more. */
export function mtimeSeconds(st: Stats): number {
  return Math.floor(st.mtimeMs / 1000);
}

/** An HTTP-date in seconds, or NaN when it is not one (then the header is ignored, RFC 9110 §13.1.3). */
export function httpDateSeconds(value: string): number {
  return parseHttpDate(value);
}

export type Precondition = 'ok' | 'not-modified' | 'failed';

/** RFC 9110 §13.2.2 order: If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since. */
export function evaluatePreconditions(
  ifMatch: string | undefined,
  ifUnmodifiedSince: string | undefined,
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  etag: string | undefined,
  mtime: number,
): Precondition {
  if (ifMatch !== undefined) {
    if (!strongMatch(ifMatch, etag, true)) return 'failed';
  } else if (ifUnmodifiedSince !== undefined) {
    const since = httpDateSeconds(ifUnmodifiedSince);
    if (!Number.isNaN(since) && mtime > since) return 'failed';
  }
  if (ifNoneMatch !== undefined) {
    if (noneMatchHits(ifNoneMatch, etag)) return 'not-modified';
  } else if (ifModifiedSince !== undefined) {
    const since = httpDateSeconds(ifModifiedSince);
    if (!Number.isNaN(since) && mtime <= since) return 'not-modified';
  }
  return 'ok';
}
