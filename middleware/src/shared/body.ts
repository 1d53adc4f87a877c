import type { ResponseBody } from '@tsgi/gateway';

/**
 * Body wrapping that keeps APP-3: the wrapper's close() runs at most once and
 * closes the inner body exactly once, whether the server calls it after the
 * last chunk, on an error or on a client abort.
 */

/** The byte size of an array body (known before the first chunk is sent); undefined for other bodies. */
export function arrayBodyLength(body: ResponseBody): number | undefined {
  if (!Array.isArray(body)) return undefined;
  let n = 0;
  for (const c of body as Uint8Array[]) {
    if (!(c instanceof Uint8Array)) return undefined;
    n += c.byteLength;
  }
  return n;
}

/**
 * A body whose chunks come from `produce(inner)` and whose close() closes, in
 * this order, the wrapper's own resources (`release`), the generator, and the
 * inner body. `produce` must not close the inner body itself.
 */
export function wrapBody(
  inner: ResponseBody,
  produce: (inner: ResponseBody) => AsyncGenerator<Uint8Array, void, undefined>,
  release?: () => void,
): AsyncIterable<Uint8Array> & { close(): Promise<void> } {
  let gen: AsyncGenerator<Uint8Array, void, undefined> | undefined;
  let closed = false;
  return {
    [Symbol.asyncIterator]() {
      gen ??= produce(inner);
      return gen;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        release?.();
      } finally {
        // Not awaited: a generator suspended on a slow inner chunk would hold
        // close() hostage; return() runs its finally blocks when it resumes.
        gen?.return(undefined).catch(() => undefined);
        if (typeof inner.close === 'function') await inner.close();
      }
    },
  };
}
