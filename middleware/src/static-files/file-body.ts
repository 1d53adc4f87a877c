import type { FileHandle } from 'node:fs/promises';
import type { ResponseBody } from '@tsgi/gateway';

/** Files up to this size are read in one go and the descriptor closed before the response starts. */
export const SMALL_FILE = 64 * 1024;
/** Read size for larger files: one chunk in flight per response, pulled only as the server asks (backpressure). */
const CHUNK = 128 * 1024;

/** Reads `length` bytes at `position` fully; fewer only if the file shrank meanwhile. */
export async function readWhole(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = Buffer.allocUnsafe(length);
  let off = 0;
  while (off < length) {
    const { bytesRead } = await fh.read(buf, off, length - off, position + off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return off === length ? buf : buf.subarray(0, off);
}

/**
 * A streaming body over `[start, start + length)` of an open file. Each
 * chunk is read only when the server pulls the next one, so a slow client
 * holds at most one chunk in memory. close() releases the descriptor exactly
 * once (APP-3), also when the client aborts mid-file.
 */
export function fileRangeBody(fh: FileHandle, start: number, length: number): ResponseBody {
  let released = false;
  const release = (): Promise<void> => {
    if (released) return Promise.resolve();
    released = true;
    return fh.close();
  };
  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    let pos = start;
    let left = length;
    try {
      while (left > 0 && !released) {
        const n = Math.min(CHUNK, left);
        const buf = Buffer.allocUnsafe(n);
        const { bytesRead } = await fh.read(buf, 0, n, pos);
        // A file truncated under us: stop; the server closes the connection
        // because fewer bytes than Content-Length went out (RESP-8).
        if (bytesRead === 0) return;
        pos += bytesRead;
        left -= bytesRead;
        yield bytesRead === n ? buf : buf.subarray(0, bytesRead);
      }
    } finally {
      await release();
    }
  }
  let it: AsyncGenerator<Uint8Array, void, undefined> | undefined;
  return {
    [Symbol.asyncIterator]() {
      it ??= chunks();
      return it;
    },
    close: release,
  };
}
