import type { Socket } from 'node:net';
import { parseProxyHeader, type ProxiedAddress } from '@tsgi/http1';
import { asError } from '@tsgi/errors';
import { stopReading } from './node-internals.js';

/** What the --sticky master read off a trusted peer's connection before handing it over. */
export interface ReadProxyHeader {
  /** The client the header names; null for v1 UNKNOWN / v2 LOCAL (the peer itself stands). */
  address: ProxiedAddress | null;
  /** The bytes read after the header (the start of the request): the worker puts them back first. */
  rest: Buffer;
}

/**
 * Reads the PROXY protocol header (parsed by @tsgi/http1, the parser the edge
 * proxy uses) off a connection the master accepted paused, then stops reading
 * at once (node-internals `stopReading`), so every byte past the header is in
 * `rest` and nothing else left the kernel. Rejects (the caller closes the
 * connection, as nginx does) on a malformed header, EOF, or after `timeoutMs`.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ReadProxyHeader> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (err: Error | undefined, value?: ReadProxyHeader): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onEnd);
      stopReading(socket);
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => done(new Error('no PROXY protocol header in time')), timeoutMs);
    const onEnd = (): void => done(new Error('connection closed before the PROXY protocol header'));
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let header;
      try {
        header = parseProxyHeader(buf);
      } catch (err) {
        done(asError(err));
        return;
      }
      if (header) done(undefined, { address: header.address, rest: Buffer.concat([buf.subarray(header.length), ...takeBuffered(socket)]) });
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', onEnd);
    socket.resume();
  });
}

/** Chunks Node read but has not emitted yet (a 'data' event may trail the read that produced it). */
function takeBuffered(socket: Socket): Buffer[] {
  stopReading(socket);
  const out: Buffer[] = [];
  for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) out.push(chunk);
  return out;
}
