import { connect, type Socket } from 'node:net';
import { connectOptionsFor } from './unix-address.js';

/**
 * Where every upstream read lands before it is copied out (JS is single-threaded: one read at a time).
 * 16 KiB, not 64: a client that stops reading keeps the last read queued on its socket until it closes,
 * so the read size bounds what each stalled client holds (nginx reads into 4-8 KiB `proxy_buffers`).
 */
const READ_BUFFER = Buffer.allocUnsafe(16384);
/**
 * Reads up to this size are copied into Node's shared Buffer pool (what Node 22 pools); larger ones get a
 * buffer of their own. A queued slice keeps its whole pool slab alive, and Node 24's slab is 64 KiB: a
 * 16 KiB read pooled there would pin 64 KiB on each stalled client's socket.
 */
const POOLED_READ_MAX = 4096;

/** The party currently using a pooled connection. Exactly one at a time. */
export interface UpstreamHandler {
  onUpstreamData(chunk: Buffer): void;
  onUpstreamEnd(): void;
  onUpstreamClose(error: Error | null): void;
  onUpstreamDrain(): void;
}

/** The pool a connection goes back to (EndpointPool); an interface, so the pool, its endpoint and this file import in one direction only. */
export interface ConnectionPool {
  onClosed(conn: UpstreamConnection): void;
  release(conn: UpstreamConnection, now: number): void;
}

/** What a connection needs of its endpoint (Endpoint). */
export interface ConnectionEndpoint {
  readonly host: string;
  readonly port: number;
  readonly pool: ConnectionPool;
}

/**
 * One keep-alive socket to an endpoint. Its listeners are attached once and
 * dispatch to the current handler, so a reused connection costs no listener
 * churn per request.
 */
export class UpstreamConnection {
  readonly socket: Socket;
  handler: UpstreamHandler | null = null;
  /** Requests served on this socket; > 0 means a reused socket. */
  uses = 0;
  idleSince = 0;
  connected = false;
  closed = false;
  private error: Error | null = null;

  constructor(readonly endpoint: ConnectionEndpoint) {
    // Reads land in one buffer shared by every upstream socket (net's `onread`), skipping the Readable
    // machinery; each read is copied out at its own size, so what a handler keeps is its own.
    const socket = connect({
      ...connectOptionsFor(endpoint.host, endpoint.port),
      onread: {
        buffer: READ_BUFFER,
        callback: (nread: number): boolean => {
          const handler = this.handler;
          // Bytes on an idle socket: the upstream is out of sync.
          if (handler === null) socket.destroy();
          else {
            // Small reads come from Node's pool (copyBytesFrom would allocate an ArrayBuffer each), larger ones are exact.
            const chunk = nread <= POOLED_READ_MAX ? Buffer.allocUnsafe(nread) : Buffer.allocUnsafeSlow(nread);
            READ_BUFFER.copy(chunk, 0, 0, nread);
            handler.onUpstreamData(chunk);
          }
          return true;
        },
      },
    });
    // Small request heads must leave at once (Nagle would hold them behind unacked bytes).
    socket.setNoDelay(true);
    this.socket = socket;
    socket.on('end', () => {
      if (this.handler !== null) this.handler.onUpstreamEnd();
    });
    socket.on('drain', () => {
      if (this.handler !== null) this.handler.onUpstreamDrain();
    });
    socket.on('error', (err) => {
      this.error = err;
    });
    socket.on('close', () => {
      this.closed = true;
      endpoint.pool.onClosed(this);
      const h = this.handler;
      this.handler = null;
      if (h !== null) h.onUpstreamClose(this.error);
    });
  }

  /** Usable for another request: open, not mid-teardown. */
  get reusable(): boolean {
    return !this.closed && !this.socket.destroyed && this.socket.writable && this.socket.readable;
  }
}
