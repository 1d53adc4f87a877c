import type { ResponseHeaders } from '@tsgi/gateway';
import { varyCovers } from '@tsgi/http1';

/**
 * Header-list helpers. Apps may pass the same constant header array to every
 * response, so nothing here mutates its input: edits return a new array.
 */

const lowerCache = new Map<string, string>();

/**
 * A header name in lower case. Apps pass the same literal names on every
 * response, so a bounded cache keyed by the name as given turns
 * toLowerCase() + hashing a fresh string into one lookup of a hashed one.
 */
export function lowerName(name: string): string {
  let lower = lowerCache.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerCache.size < 1024) lowerCache.set(name, lower);
  }
  return lower;
}

/** `a` followed by `b`, as a new array (a plain loop: Array#concat is several times slower here). */
export function joinHeaders(a: ResponseHeaders, b: ResponseHeaders): ResponseHeaders {
  const out: ResponseHeaders = new Array(a.length + b.length);
  let i = 0;
  for (; i < a.length; i++) out[i] = a[i]!;
  for (let j = 0; j < b.length; j++) out[i + j] = b[j]!;
  return out;
}

/** The first value of a header (name given in lower case), or undefined. */
export function getHeader(headers: ResponseHeaders, lower: string): string | undefined {
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    if (h[0].length === lower.length && lowerName(h[0]) === lower) return h[1];
  }
  return undefined;
}

/**
 * Adds `token` to Vary, merging with an existing Vary header instead of
 * emitting a second one; `Vary: *` already covers everything.
 * Returns the same array when nothing had to change.
 */
export function addVary(headers: ResponseHeaders, token: string): ResponseHeaders {
  const lower = token.toLowerCase();
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i]!;
    if (h[0].length !== 4 || lowerName(h[0]) !== 'vary') continue;
    if (varyCovers(h[1], lower)) return headers;
    const out = headers.slice();
    out[i] = [h[0], h[1].trim() === '' ? token : `${h[1]}, ${token}`];
    return out;
  }
  return joinHeaders(headers, [['Vary', token]]);
}
