/** A request-target split into the parts the environ needs (ENV-3, ENV-4). */
export interface TargetParts {
  rawPath: string;
  query: string;
  /** Authority of an absolute-form target, '' otherwise. */
  authority: string;
}

const ABSOLUTE_RE = /^https?:\/\/([^/?#]*)([^#]*)$/i;

/**
 * Splits origin-form (`/p?q`), absolute-form (`http://h/p?q`), authority-form
 * (`h:443`, CONNECT) and asterisk-form (`*`, OPTIONS). Returns null when the
 * target is in none of these forms.
 */
export function splitTarget(target: string, method: string): TargetParts | null {
  const c0 = target.charCodeAt(0);
  if (c0 === 0x2f) {
    const q = target.indexOf('?');
    if (q === -1) return { rawPath: target, query: '', authority: '' };
    return { rawPath: target.slice(0, q), query: target.slice(q + 1), authority: '' };
  }
  if (target === '*') return method === 'OPTIONS' ? { rawPath: '', query: '', authority: '' } : null;
  if (method === 'CONNECT') {
    return /^[^/?#@\s]+:[0-9]+$/.test(target) ? { rawPath: '', query: '', authority: target } : null;
  }
  const m = ABSOLUTE_RE.exec(target);
  if (m === null || m[1] === '' || m[1].includes('@')) return null;
  const rest = m[2] === '' ? '/' : m[2];
  if (rest.charCodeAt(0) === 0x3f) return { rawPath: '/', query: rest.slice(1), authority: m[1] };
  const q = rest.indexOf('?');
  if (q === -1) return { rawPath: rest, query: '', authority: m[1] };
  return { rawPath: rest.slice(0, q), query: rest.slice(q + 1), authority: m[1] };
}
