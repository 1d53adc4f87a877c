const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * PATH_INFO from the raw path (ENV-3): percent-decoded, then read as UTF-8.
 * Returns null when the path is not valid UTF-8, has a broken escape or a
 * decoded NUL (`%00`, as nginx and @tsgi/http1 refuse it), which the server
 * answers with 400 rather than guessing at the bytes.
 */
export function decodePath(raw: string): string | null {
  if (raw.indexOf('%') === -1) return raw;
  const bytes = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return null;
      const octet = parseInt(hex, 16);
      if (octet === 0) return null;
      bytes[n++] = octet;
      i += 2;
    } else {
      bytes[n++] = c;
    }
  }
  try {
    return utf8.decode(bytes.subarray(0, n));
  } catch {
    return null;
  }
}
