import type { ClientSide } from '../client/client-side.js';
import type { ProxyError } from '../errors.js';
import type { UpstreamConnection } from '../upstream-connection.js';
import { asProxyError } from './exchange-support.js';
import type { RequestBody } from './request-body.js';

/** What the forwarder tells its exchange. */
export interface ForwarderEvents {
  /** The whole body went upstream. */
  bodyComplete(): void;
  /** The client's body broke its framing or a limit. */
  bodyFailed(err: ProxyError): void;
}

/**
 * The client's request body on its way upstream: bytes that arrive before
 * the upstream connection are held (the client paused), then forwarded
 * through the body's framing strategy with backpressure both ways; bytes
 * after the body's end go back to the codec as the next pipelined request.
 */
export class RequestForwarder {
  done: boolean;
  /** Body bytes that arrived before the upstream connection. */
  private pending: Buffer | null;
  /** The h2 stream ended before the upstream connection. */
  private endPending = false;

  constructor(
    private readonly client: ClientSide,
    private readonly body: RequestBody | null,
    rest: Buffer | null,
    private readonly events: ForwarderEvents,
  ) {
    this.done = body === null;
    this.pending = rest;
  }

  /** Some body byte went upstream: the request can no longer be retried. */
  get streamed(): boolean {
    return this.body?.streamed ?? false;
  }

  /** Checks what came with the head against framing and the limit before anything is forwarded (throws the 4xx). */
  check(maxBody: number): void {
    if (this.body !== null && (this.pending !== null || this.endPending)) this.body.check(this.pending, maxBody, this.endPending);
  }

  /** The route's body limit, known after the edge checks. */
  limit(maxBody: number): void {
    if (this.body !== null) this.body.maxBody = maxBody;
  }

  /** Client bytes; `conn` null while there is no upstream connection to take them. */
  data(chunk: Buffer, conn: UpstreamConnection | null): void {
    if (this.done) return this.client.holdPipelined(chunk);
    if (conn === null) {
      this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
      this.client.pauseReading();
      return;
    }
    this.forward(chunk, conn);
  }

  /** The client's request stream ended (HTTP/2 END_STREAM). */
  end(conn: UpstreamConnection | null): void {
    if (this.done) return;
    if (conn === null) this.endPending = true;
    else this.finish(conn);
  }

  /** The upstream connection is ready: what was held goes now; the client reads on while the body is not complete. */
  connected(conn: UpstreamConnection): void {
    const rest = this.pending;
    this.pending = null;
    if (rest !== null) this.forward(rest, conn);
    if (this.endPending && !this.done) this.finish(conn);
    if (!this.done) this.client.resumeReading();
  }

  /** Held bytes of an upgrade request: they belong to the tunnel. */
  takePending(): Buffer | null {
    const rest = this.pending;
    this.pending = null;
    return rest;
  }

  private forward(chunk: Buffer, conn: UpstreamConnection): void {
    const body = this.body;
    if (body === null) return;
    let end: number;
    try {
      end = body.push(chunk, 0, conn.socket);
    } catch (err) {
      this.done = true;
      return this.events.bodyFailed(asProxyError(err));
    }
    if (end >= 0) {
      this.complete();
      if (end < chunk.length) this.client.holdPipelined(chunk.subarray(end));
      else this.client.pauseReading();
    } else if (conn.socket.writableNeedDrain) {
      this.client.pauseReading();
    }
  }

  private finish(conn: UpstreamConnection): void {
    try {
      this.body?.finish?.(conn.socket);
    } catch (err) {
      this.done = true;
      return this.events.bodyFailed(asProxyError(err));
    }
    this.complete();
  }

  private complete(): void {
    this.done = true;
    this.events.bodyComplete();
  }
}
