/**
 * Werkzeug's query and urlencoded-form decoding: pairs split on `&`, `+` is
 * a space, and percent-escapes decode as UTF-8, except that bytes which are
 * not valid UTF-8 stay as `%XX` (Werkzeug's `werkzeug.url_quote` error
 * handler) instead of turning into U+FFFD, so `a=caf%E9` from a Latin-1 form
 * still carries its byte. Malformed escapes (`%zz`, a lone `%`) stay literal.
 */
export function parseQuery(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (text === '') return out;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    out.push([decodeComponent(name), decodeComponent(value)]);
  }
  return out;
}

function decodeComponent(raw: string): string {
  const text = raw.includes('+') ? raw.replace(/\+/g, ' ') : raw;
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return decodeLeniently(text);
  }
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/** The slow path: percent-decodes to bytes, then keeps each byte outside a valid UTF-8 sequence as `%XX`. */
function decodeLeniently(text: string): string {
  const bytes: number[] = [];
  // Non-ASCII text between escapes is already characters: carry it through as its UTF-8 bytes.
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 37 /* % */ && HEX.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 0x80) bytes.push(ch);
    else {
      const cp = text.codePointAt(i)!;
      if (cp > 0xffff) i++;
      bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
    }
  }
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const n = validSequenceLength(bytes, i);
    if (n === 0) {
      out += `%${bytes[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
      i++;
    } else {
      out += Buffer.from(bytes.slice(i, i + n)).toString('utf8');
      i += n;
    }
  }
  return out;
}

/** Length of the well-formed UTF-8 sequence starting at `i` (Unicode Table 3-7), or 0. */
function validSequenceLength(b: readonly number[], i: number): number {
  const lead = b[i]!;
  if (lead < 0x80) return 1;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) n = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3;
    if (lead === 0xe0) lo = 0xa0;
    else if (lead === 0xed) hi = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4;
    if (lead === 0xf0) lo = 0x90;
    else if (lead === 0xf4) hi = 0x8f;
  } else return 0;
  const second = b[i + 1];
  if (second === undefined || second < lo || second > hi) return 0;
  for (let k = 2; k < n; k++) {
    const c = b[i + k];
    if (c === undefined || c < 0x80 || c > 0xbf) return 0;
  }
  return n;
}
