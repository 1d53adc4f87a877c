import type { Writable } from 'node:stream';

/** The last chunk without trailers: ends a chunked body (RFC 9112 section 7.1). */
export const LAST_CHUNK: Buffer = Buffer.from('0\r\n\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');
/** Chunks up to this size are copied with their size line and CRLF into one buffer: one write, one packet. */
const COALESCE_MAX = 16 * 1024;

/**
 * Writes `data` to `out` as one chunk of a chunked body (size in hex, CRLF, data, CRLF) and returns what
 * `write` returned (false: wait for drain). An empty `data` would read as the last chunk: callers skip it.
 */
export function writeChunk(out: Writable, data: Uint8Array): boolean {
  const hex = data.length.toString(16);
  if (data.length <= COALESCE_MAX) {
    const one = Buffer.allocUnsafe(hex.length + 4 + data.length);
    one.write(hex, 0, 'latin1');
    one[hex.length] = 13;
    one[hex.length + 1] = 10;
    one.set(data, hex.length + 2);
    one[one.length - 2] = 13;
    one[one.length - 1] = 10;
    return out.write(one);
  }
  out.cork();
  out.write(`${hex}\r\n`, 'latin1');
  out.write(data);
  const ok = out.write(CRLF);
  out.uncork();
  return ok;
}
