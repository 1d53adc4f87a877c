/**
 * Mapping a decoded request path to a file under the root, refusing every
 * traversal shape. PATH_INFO is already percent-decoded by the server
 * (ENV-3) and is never decoded again here, so `%252e%252e` stays a literal
 * name; encoded separators are caught on RAW_URI, the target as sent.
 * Opening the file (symlinks out of the root and dot-entries refused) is
 * `@tsgi/gateway`'s openInside, the policy the framework's static files share.
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
