/**
 * Building Location values from decoded paths without creating an open
 * redirect. PATH_INFO is percent-decoded (ENV-3), so it is re-encoded here;
 * `?` and `#` are encoded too so a decoded `%3F` cannot start a query.
 */

const LEADING_SLASHES = /^[/\\]+/;

/** Percent-encodes a decoded path for a URL (keeps `/`, encodes `\`, `?`, `#`, spaces, controls). */
export function encodePath(path: string): string {
  let encoded: string;
  try {
    encoded = encodeURI(path);
  } catch {
    // Lone surrogates cannot be encoded; the path cannot name anything real.
    encoded = encodeURI(path.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
  }
  return encoded.replace(/[?#]/g, (c) => (c === '?' ? '%3F' : '%23'));
}

/**
 * A same-origin Location for a decoded path: re-encoded, and with any run of
 * leading slashes or backslashes collapsed to one `/`, so `//evil.com` and
 * `/\evil.com` (which browsers read as another host) cannot come out.
 */
export function localLocation(decodedPath: string, query = ''): string {
  const path = '/' + encodePath(decodedPath.replace(LEADING_SLASHES, ''));
  return query === '' ? path : `${path}?${query}`;
}

/** A host header value we are willing to put in a Location: hostname or [IPv6], optional port. */
export const HOST_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
