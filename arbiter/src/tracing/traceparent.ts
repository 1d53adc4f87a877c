const HEX = /^[0-9a-f]+$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Parses a W3C traceparent (Trace Context level 1, section 3.2). Version 00
 * must be exactly 55 characters; later versions may append `-`-separated
 * fields, which are ignored; version ff, upper-case hex and all-zero ids are
 * invalid. Returns null when invalid. Both tiers read the header with it.
 */
export function parseTraceparent(value: string): { traceId: string; parentId: string; flags: string } | null {
  const v = value.trim();
  if (v.length < 55 || v[2] !== '-' || v[35] !== '-' || v[52] !== '-') return null;
  const version = v.slice(0, 2);
  if (!HEX.test(version) || version === 'ff') return null;
  if (version === '00' ? v.length !== 55 : v.length > 55 && v[55] !== '-') return null;
  const traceId = v.slice(3, 35);
  const parentId = v.slice(36, 52);
  const flags = v.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(parentId) || !HEX.test(flags)) return null;
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return null;
  return { traceId, parentId, flags };
}
