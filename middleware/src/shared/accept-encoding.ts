/**
 * Accept-Encoding negotiation (RFC 9110 §12.5.3) with q-values. Clients send
 * a handful of distinct header values, so results are memoised per value in a
 * bounded map and the hot path is one Map lookup.
 */

const CACHE_LIMIT = 256;

/** Parses `gzip;q=0.8, br, *;q=0` into coding → q (codings lower-cased, `x-gzip` as gzip). */
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
      const n = Number(p.slice(eq + 1).trim());
      q = Number.isFinite(n) && n >= 0 && n <= 1 ? n : 0;
    }
    // A repeated coding keeps its highest weight.
    out.set(name, Math.max(q, out.get(name) ?? 0));
  }
  return out;
}

/**
 * Builds `accepted(header) → codings`: the members of `supported` the client
 * accepts (q > 0), best first; ties keep the order of `supported`. Memoised.
 */
export function encodingPreferences(supported: readonly string[]): (header: string | undefined) => readonly string[] {
  const cache = new Map<string, readonly string[]>();
  const none: readonly string[] = Object.freeze([]);
  return (header) => {
    if (header === undefined || header === '') return none;
    const hit = cache.get(header);
    if (hit !== undefined) return hit;
    const weights = parseAcceptEncoding(header);
    const star = weights.get('*');
    const ranked = supported
      .map((coding, i) => ({ coding, i, q: weights.get(coding) ?? star ?? 0 }))
      .filter((c) => c.q > 0)
      .sort((a, b) => b.q - a.q || a.i - b.i)
      .map((c) => c.coding);
    const result = Object.freeze(ranked);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(header, result);
    return result;
  };
}

/**
 * Builds `negotiate(header) → coding | null` over `supported`, listed in the
 * server's order of preference (which breaks ties between equal q-values).
 * A missing header means "no coding" in practice (RFC 9110 allows any, but
 * every client that can decode sends the header).
 */
export function encodingNegotiator(supported: readonly string[]): (header: string | undefined) => string | null {
  const cache = new Map<string, string | null>();
  return (header) => {
    if (header === undefined || header === '') return null;
    const hit = cache.get(header);
    if (hit !== undefined) return hit;
    const weights = parseAcceptEncoding(header);
    const star = weights.get('*');
    let best: string | null = null;
    let bestQ = 0;
    for (const coding of supported) {
      const q = weights.get(coding) ?? star ?? 0;
      if (q > bestQ) {
        best = coding;
        bestQ = q;
      }
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(header, best);
    return best;
  };
}
