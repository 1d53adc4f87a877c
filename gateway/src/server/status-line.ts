/**
 * Status strings an app passes to startResponse, validated once and cached
 * (RESP-1): apps use a handful of distinct statuses, so the regex runs once
 * per distinct string instead of once per request.
 */
// eslint-disable-next-line no-control-regex -- a reason phrase may not hold controls (RFC 9112 section 4)
const STATUS_RE = /^([2-5][0-9][0-9]) [^\x00-\x08\x0a-\x1f\x7f\u0100-\uffff]*$/;
const cache = new Map<string, number>();
const CACHE_MAX = 512;

/** The numeric code of a valid `'NNN Reason'` status, or 0 when it breaks RESP-1. */
export function statusCode(status: unknown): number {
  if (typeof status !== 'string') return 0;
  const hit = cache.get(status);
  if (hit !== undefined) return hit;
  const m = STATUS_RE.exec(status);
  const code = m ? Number(m[1]) : 0;
  if (code !== 0 && cache.size < CACHE_MAX) cache.set(status, code);
  return code;
}

/** Reason phrases for the statuses the server itself sends. */
export const REASONS: Readonly<Record<number, string>> = Object.freeze({
  100: 'Continue',
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
});
