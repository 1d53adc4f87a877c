/**
 * Single byte-range parsing (RFC 9110 §14). Multi-range requests get the full
 * representation (200): that is allowed, and avoids multipart/byteranges
 * bodies that few clients need and that amplify small requests.
 */

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** `null`: ignore the header and send 200; `'unsatisfiable'`: send 416. */
export type RangeResult = ByteRange | 'unsatisfiable' | null;

const SPEC = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

export function parseRange(header: string, size: number): RangeResult {
  const eq = header.indexOf('=');
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return null;
  const spec = header.slice(eq + 1);
  if (spec.includes(',')) return null;
  const m = SPEC.exec(spec);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return { start, end };
}
