import type { InputStream } from '../types.js';
import type { InterfaceViolation } from '../errors.js';
import { show, type Finding } from './check-environ.js';

/** Records a finding (one log line, response marked failed) and returns the error to throw. */
export type Report = (finding: Finding) => InterfaceViolation;

function validSize(size: unknown): boolean {
  return size === undefined || (typeof size === 'number' && Number.isInteger(size) && size >= 0);
}

/**
 * Wraps tsgi.input so both sides are checked: the app's arguments
 * (INPUT-1, INPUT-4) and the server's answers (a Uint8Array within the size
 * asked for, nothing after the end, never more than CONTENT_LENGTH, and no
 * clean end before it: INPUT-1, INPUT-2, INPUT-4, INPUT-5).
 */
export function checkedInput(inner: InputStream, contentLength: number, report: Report): InputStream {
  let total = 0;
  let ended = false;

  const account = (chunk: unknown, limit: number | undefined, rule: 'INPUT-1' | 'INPUT-4'): Uint8Array => {
    if (!(chunk instanceof Uint8Array)) throw report({ rule, seen: `server's tsgi.input resolved ${show(chunk)}` });
    if (limit !== undefined && chunk.length > limit) {
      throw report({ rule, seen: `server's tsgi.input returned ${chunk.length} bytes for a limit of ${limit}` });
    }
    if (rule === 'INPUT-4' && chunk.length > 0) {
      const lf = chunk.indexOf(10);
      if (lf !== -1 && lf !== chunk.length - 1) {
        throw report({ rule, seen: `server's readLine returned bytes after the LF at ${lf}` });
      }
    }
    if (chunk.length === 0) {
      // An empty answer to a zero-byte request is not the end of the body.
      if (limit === 0) return chunk;
      if (!ended && contentLength >= 0 && total < contentLength) {
        throw report({ rule: 'INPUT-5', seen: `tsgi.input ended after ${total} of ${contentLength} bytes without an error` });
      }
      ended = true;
      return chunk;
    }
    if (ended) throw report({ rule: 'INPUT-2', seen: `tsgi.input returned ${chunk.length} bytes after it had ended` });
    total += chunk.length;
    if (contentLength >= 0 && total > contentLength) {
      throw report({ rule: 'INPUT-2', seen: `tsgi.input returned ${total} bytes, CONTENT_LENGTH is ${contentLength}` });
    }
    return chunk;
  };

  const stream: InputStream = {
    async read(size?: number): Promise<Uint8Array> {
      if (!validSize(size)) throw report({ rule: 'INPUT-1', seen: `app called read(${show(size)})` });
      return account(await inner.read(size), size, 'INPUT-1');
    },
    async readLine(limit?: number): Promise<Uint8Array> {
      if (!validSize(limit)) throw report({ rule: 'INPUT-4', seen: `app called readLine(${show(limit)})` });
      return account(await inner.readLine(limit), limit, 'INPUT-4');
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
      for await (const chunk of inner) {
        if (!(chunk instanceof Uint8Array)) throw report({ rule: 'INPUT-1', seen: `server's tsgi.input yielded ${show(chunk)}` });
        if (chunk.length === 0) continue;
        yield account(chunk, undefined, 'INPUT-1');
      }
      account(new Uint8Array(0), undefined, 'INPUT-1');
    },
  };
  return stream;
}
