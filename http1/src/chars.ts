/** Byte classes of RFC 9110/9112, as lookup tables over 0..255. */

function table(chars: string): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** tchar (RFC 9110 section 5.6.2): what tokens (methods, field names, codings) are made of. */
export const TCHAR = table("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

/** qdtext (RFC 9110 section 5.6.4): HTAB, SP, VCHAR except DQUOTE and backslash, obs-text. */
export const QDTEXT = new Uint8Array(256);
QDTEXT[0x09] = 1;
for (let c = 0x20; c <= 0xff; c++) if (c !== 0x22 && c !== 0x5c && c !== 0x7f) QDTEXT[c] = 1;

/** Controls a field value may not hold: everything below SP except HTAB (CR and LF included: bare ones), and DEL. */
// eslint-disable-next-line no-control-regex -- finding controls in a field value is what this pattern is for
export const VALUE_CTL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** True when `s[from..to)` is a non-empty token. */
export function isToken(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TCHAR[c] !== 1) return false;
  }
  return true;
}

export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
