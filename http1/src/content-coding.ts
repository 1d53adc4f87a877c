/**
 * Content-coding negotiation and the rules around a coded response, once for the edge proxy's compression and
 * the middleware's `compression` and `staticFiles`: Accept-Encoding with q-values (RFC 9110 section 12.5.3),
 * `Cache-Control: no-transform` (section 7.7 of RFC 9111), a weakened ETag for coded bytes (RFC 9110 section
 * 8.8.3) and the Vary test.
 */

/** qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 9110 section 12.4.2). */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;
const NO_TRANSFORM = /(?:^|,)\s*no-transform\s*(?:,|$)/i;
/** Clients send a handful of distinct Accept-Encoding values: negotiators remember this many verdicts. */
const CACHE_LIMIT = 256;

/**
 * Parses `gzip;q=0.8, br, *;q=0` into coding → q: codings lower-cased, `x-gzip` read as gzip, a q that is not
 * a qvalue read as 0 (not acceptable), a repeated coding keeping its highest weight.
 */
export function parseAcceptEncoding(header: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of header.split(',')) {
    const [rawName = '', ...params] = part.split(';');
    let name = rawName.trim().toLowerCase();
    if (name === '') continue;
    if (name === 'x-gzip') name = 'gzip';
    let q = 1;
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq === -1 || p.slice(0, eq).trim().toLowerCase() !== 'q') continue;
      const value = p.slice(eq + 1).trim();
      q = QVALUE.test(value) ? Number(value) : 0;
    }
    out.set(name, Math.max(q, out.get(name) ?? 0));
  }
  return out;
}

/** The members of `supported` the client accepts (q > 0), best first; ties keep the order of `supported`. */
function ranked<T extends string>(header: string, supported: readonly T[]): T[] {
  const weights = parseAcceptEncoding(header);
  const star = weights.get('*');
  return supported
    .map((coding, i) => ({ coding, i, q: weights.get(coding) ?? star ?? 0 }))
    .filter((c) => c.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((c) => c.coding);
}

/**
 * The coding of `supported` (the server's order breaks q ties) the client prefers, or null: none acceptable,
 * or no Accept-Encoding (RFC 9110 allows any coding then, but every client that can decode sends the header).
 */
export function negotiateEncoding<T extends string>(header: string | null | undefined, supported: readonly T[]): T | null {
  if (header === null || header === undefined || header === '') return null;
  return ranked(header, supported)[0] ?? null;
}

/** `negotiateEncoding` over a fixed `supported`, memoised per header value: the hot path is one Map lookup. */
export function encodingNegotiator<T extends string>(supported: readonly T[]): (header: string | null | undefined) => T | null {
  const cache = new Map<string, T | null>();
  return (header) => {
    if (header === null || header === undefined || header === '') return null;
    const hit = cache.get(header);
    if (hit !== undefined) return hit;
    const best = ranked(header, supported)[0] ?? null;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(header, best);
    return best;
  };
}

/** Every coding of `supported` the client accepts, best first (a precompressed file tries them in turn); memoised. */
export function encodingPreferences<T extends string>(supported: readonly T[]): (header: string | null | undefined) => readonly T[] {
  const cache = new Map<string, readonly T[]>();
  const none: readonly T[] = Object.freeze([]);
  return (header) => {
    if (header === null || header === undefined || header === '') return none;
    const hit = cache.get(header);
    if (hit !== undefined) return hit;
    const result = Object.freeze(ranked(header, supported));
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(header, result);
    return result;
  };
}

/** Whether a Cache-Control value forbids changing the content (`no-transform`): no coding is added then. */
export function forbidsTransform(cacheControl: string): boolean {
  return NO_TRANSFORM.test(cacheControl);
}

/** The ETag to send with coded bytes: a strong one made weak, as the bytes differ from the representation's. */
export function weakenETag(etag: string): string {
  return etag.startsWith('W/') ? etag : `W/${etag}`;
}

/** Whether a Vary value already covers `field` (lower-case): it names it, or it is `*`. */
export function varyCovers(vary: string, field: string): boolean {
  for (const part of vary.split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '*' || name === field) return true;
  }
  return false;
}
