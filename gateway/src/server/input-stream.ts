import { ProtocolError } from '../errors.js';
import { DEFAULT_LIMITS } from '../server-types.js';
import type { InputStream } from '../types.js';

/**
 * Where a request body comes from: each pull yields the next decoded chunk,
 * null at the end of the body. Pulling is what lets the engine read from the
 * socket (INPUT-3), so nothing is read ahead of the app.
 */
export interface BodyPump {
  pull(): Uint8Array | null | Promise<Uint8Array | null>;
}

const EMPTY = new Uint8Array(0);

/** A pump for requests without a body. */
export const EMPTY_PUMP: BodyPump = Object.freeze({ pull: () => null });

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The longest line a `readLine()` without a limit returns (the rest of a longer line comes with the next call). */
export const READ_LINE_MAX = 64 * 1024;

/**
 * What one read may buffer: `readAll` bounds a `read()` without a size (the
 * body limit, or 100 MiB when the body is unlimited), `line` a `readLine()`
 * without a limit.
 */
export interface InputBounds {
  readAll: number;
  line: number;
}

/** The bounds for a server whose body limit is `bodyLimit` (Infinity: unlimited). */
export function inputBounds(bodyLimit: number): InputBounds {
  return { readAll: Number.isFinite(bodyLimit) ? bodyLimit : DEFAULT_LIMITS.body, line: READ_LINE_MAX };
}

const DEFAULT_BOUNDS: Readonly<InputBounds> = Object.freeze(inputBounds(DEFAULT_LIMITS.body));

/**
 * `tsgi.input` (ENV-13, INPUT-1..INPUT-4) over a BodyPump. No single read
 * buffers without bound: a client cannot make `read()` or `readLine()` take
 * all memory, whatever the app asks for.
 */
export class BodyInput implements InputStream {
  private pending: Uint8Array | null = null;
  private ended = false;

  constructor(
    private readonly pump: BodyPump,
    private readonly bounds: Readonly<InputBounds> = DEFAULT_BOUNDS,
  ) {}

  private async next(): Promise<Uint8Array | null> {
    if (this.pending !== null) {
      const p = this.pending;
      this.pending = null;
      return p;
    }
    if (this.ended) return null;
    const chunk = await this.pump.pull();
    if (chunk === null) this.ended = true;
    return chunk;
  }

  async read(size?: number): Promise<Uint8Array> {
    if (size !== undefined && !(Number.isInteger(size) && size >= 0)) {
      throw new RangeError(`tsgi.input.read: size must be a non-negative integer, got ${String(size)}`);
    }
    if (size === 0) return EMPTY;
    if (size === undefined) {
      const parts: Uint8Array[] = [];
      let total = 0;
      for (let c = await this.next(); c !== null; c = await this.next()) {
        parts.push(c);
        total += c.length;
        if (total > this.bounds.readAll) {
          throw new ProtocolError(
            'GW_ERR_BODY_TOO_LARGE',
            `tsgi.input.read() without a size stops at ${this.bounds.readAll} bytes; read in pieces (read(size), readLine, for await)`,
          );
        }
      }
      return total === 0 ? EMPTY : concat(parts, total);
    }
    const chunk = await this.next();
    if (chunk === null) return EMPTY;
    if (chunk.length > size) {
      this.pending = chunk.subarray(size);
      return chunk.subarray(0, size);
    }
    return chunk;
  }

  async readLine(limit?: number): Promise<Uint8Array> {
    const max = limit === undefined || limit < 0 ? this.bounds.line : limit;
    if (max === 0) return EMPTY;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = await this.next();
      if (chunk === null) break;
      const room = max - total;
      let cut = chunk.indexOf(0x0a);
      cut = cut === -1 ? chunk.length : cut + 1;
      if (cut > room) cut = room;
      if (cut < chunk.length) this.pending = chunk.subarray(cut);
      parts.push(cut < chunk.length ? chunk.subarray(0, cut) : chunk);
      total += cut;
      if (total >= max || chunk[cut - 1] === 0x0a) break;
    }
    return total === 0 ? EMPTY : concat(parts, total);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (let c = await this.next(); c !== null; c = await this.next()) yield c;
  }
}
