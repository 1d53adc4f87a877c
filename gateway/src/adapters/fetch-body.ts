import type { InputStream } from '../types.js';
import { BodyInput } from '../server/input-stream.js';

/**
 * `tsgi.input` over a web ReadableStream (toFetch): one chunk is pulled per
 * read, so the producer is only asked for bytes as the app consumes them.
 */
export function inputFromStream(stream: ReadableStream<Uint8Array> | null): InputStream {
  if (stream === null) return new BodyInput({ pull: () => null });
  const reader = stream.getReader();
  return new BodyInput({
    async pull() {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return null;
        // Empty chunks would read as the end of the body.
        if (value.length > 0) return value;
      }
    },
  });
}

const READ_SIZE = 64 * 1024;

/**
 * A byte ReadableStream over `tsgi.input` (fromFetch). highWaterMark 0: the
 * stream pulls only when the handler reads, so the server reads the socket
 * only as fast as the handler consumes (INPUT-3), never the whole body ahead.
 */
export function streamFromInput(input: InputStream, signal: AbortSignal): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (signal.aborted) {
          controller.error(signal.reason);
          return;
        }
        const chunk = await input.read(READ_SIZE);
        if (chunk.length === 0) controller.close();
        else controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
}
