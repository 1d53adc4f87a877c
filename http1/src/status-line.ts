/**
 * The status strings an app hands to a server (`'404 Not Found'`, SPEC RESP-1), checked by one rule for the
 * server, the validator and the fetch adapter. A reason phrase is `*( HTAB / SP / VCHAR / obs-text )`
 * (RFC 9112 section 4), obs-text being %x80-FF: one byte each, so a code point at or over U+0100, which has
 * no single byte, breaks the rule as a control does.
 */
const STATUS_RE = /^([2-5][0-9][0-9]) [\t\x20-\x7e\x80-\xff]*$/;
const cache = new Map<string, number>();
const CACHE_MAX = 512;

/**
 * The numeric code of a valid `'NNN Reason'` status (200..599), or 0 when it breaks the rule. Valid strings
 * are cached: apps use a handful of distinct statuses, so the regex runs once per string, not per request.
 */
export function statusCodeOf(status: unknown): number {
  if (typeof status !== 'string') return 0;
  const hit = cache.get(status);
  if (hit !== undefined) return hit;
  const m = STATUS_RE.exec(status);
  const code = m ? Number(m[1]) : 0;
  if (code !== 0 && cache.size < CACHE_MAX) cache.set(status, code);
  return code;
}
