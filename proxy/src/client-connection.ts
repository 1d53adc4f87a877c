import type { Socket } from 'node:net';
import { ProxyError } from './errors.js';
import type { ProxyContext } from './proxy-context.js';
import type { ResponseHead } from '@tsgi/http1';
import type { UpstreamHandler } from './upstream-connection.js';
import type { Waiter } from './endpoint-pool.js';
import type { ClientInfo } from './edge/edge-listener.js';
import type { CompressorEvents } from './edge/response-compressor.js';
import { Phase } from './exchange-state.js';
import { ResponseCompression } from './response-compression.js';

export { normalizePeer } from './exchange-state.js';

/**
 * One client connection and the request currently on it. The head is parsed
 * strictly once from the socket's bytes; the upstream head is re-serialised;
 * bodies move as bytes (chunked request bodies re-framed after validation).
 * Failures before any response byte reached the client are retried within
 * the group's budget or answered 502/504; after that the client connection
 * is cut, so a truncated response never looks complete.
 *
 * Built as one object in layers, one responsibility per file:
 * exchange-state.ts (the state) → request-intake.ts (parse, edge checks,
 * request body) → upstream-attempts.ts (endpoint, pool, retries) →
 * response-relay.ts (response head and body) → response-compression.ts →
 * this file (socket events, keep-alive, timeouts, drain).
 */
export class ClientConnection extends ResponseCompression implements UpstreamHandler, Waiter, CompressorEvents {
  constructor(socket: Socket, ctx: ProxyContext, info: ClientInfo | null = null) {
    super(socket, ctx, info);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onClientEnd());
    socket.on('drain', () => {
      if (this.zip !== null) this.zip.resume();
      else if (this.upstream !== null && (this.phase === Phase.Stream || this.phase === Phase.Tunnel)) this.upstream.socket.resume();
    });
    socket.on('error', () => {});
    socket.on('close', () => this.onClientClose());
    this.deadline = Date.now() + ctx.config.timeouts.keepAlive;
    ctx.connections.add(this);
  }

  protected onClientEnd(): void {
    this.clientEnded = true;
    this.keepClient = false;
    if (this.phase === Phase.KeepAlive || this.phase === Phase.Head) {
      this.phase = Phase.Closed;
      this.socket.end();
    } else if (this.phase === Phase.Tunnel) {
      this.upstream?.socket.end();
    } else if (!this.reqBodyDone) {
      // The client stopped sending mid-body: the request can never complete.
      this.dropUpstream();
      this.socket.destroy();
    }
  }

  protected onClientClose(): void {
    const wasActive = this.phase !== Phase.KeepAlive && this.phase !== Phase.Head && this.phase !== Phase.Closed;
    const phase = this.phase;
    this.phase = Phase.Closed;
    this.deadline = Infinity;
    this.ctx.connections.delete(this);
    if (wasActive && phase !== Phase.Tunnel) this.record(499, 'PX_ERR_CLIENT_ABORT', true);
    if (this.zip !== null) {
      // Frees zlib's native memory now, not at GC.
      this.zip.destroy();
      this.zip = null;
    }
    this.freeSlots();
    this.dropUpstream();
  }

  protected finishResponse(): void {
    this.releaseUpstream();
    this.record((this.resp as ResponseHead).status, null, false);
    this.afterExchange();
  }

  protected afterExchange(): void {
    this.freeSlots();
    this.req = null;
    this.resp = null;
    this.group = null;
    this.tried = null;
    if (this.phase === Phase.Closed) return;
    if (!this.keepClient) {
      this.phase = Phase.Closed;
      this.deadline = Infinity;
      this.socket.end();
      return;
    }
    this.phase = Phase.KeepAlive;
    this.deadline = Date.now() + this.ctx.config.timeouts.keepAlive;
    if (this.buf !== null) {
      const pipelined = this.buf;
      this.buf = null;
      this.onData(pipelined);
      if (this.phase === Phase.KeepAlive || this.phase === Phase.Head) this.socket.resume();
    } else if (this.socket.isPaused()) {
      this.socket.resume();
    }
  }

  // ---- timeouts and drain --------------------------------------------------

  /** Called by the worker's periodic sweep once `deadline` has passed. */
  onTimeout(now: number): void {
    switch (this.phase) {
      case Phase.KeepAlive:
        this.phase = Phase.Closed;
        this.deadline = Infinity;
        this.socket.destroy();
        return;
      case Phase.Head:
        this.refuse(new ProxyError('PX_ERR_REQUEST_TIMEOUT', 'request head not received in time', 408));
        return;
      case Phase.Connecting:
        this.upstreamFailed(now >= this.totalDeadline ? 'PX_ERR_UPSTREAM_TOTAL_TIMEOUT' : 'PX_ERR_UPSTREAM_CONNECT_TIMEOUT', 'no connection in time', true);
        return;
      case Phase.Body:
        this.keepClient = false;
        this.upstreamFailed(now >= this.totalDeadline ? 'PX_ERR_UPSTREAM_TOTAL_TIMEOUT' : 'PX_ERR_REQUEST_TIMEOUT', 'client body stalled', false);
        return;
      case Phase.AwaitHead:
        this.upstreamFailed(now >= this.totalDeadline ? 'PX_ERR_UPSTREAM_TOTAL_TIMEOUT' : 'PX_ERR_UPSTREAM_HEADER_TIMEOUT', 'no response head in time', false);
        return;
      case Phase.Stream:
        this.upstreamFailed(now >= this.totalDeadline ? 'PX_ERR_UPSTREAM_TOTAL_TIMEOUT' : 'PX_ERR_UPSTREAM_IDLE_TIMEOUT', 'upstream stalled', false);
        return;
      case Phase.Tunnel:
        this.closeIdleTunnel();
        return;
      default:
        this.deadline = Infinity;
    }
  }

  /** Cuts the connection (stop after the drain budget). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Drain: close now if no request is in progress; otherwise the response ends with Connection: close. */
  closeIfIdle(): boolean {
    this.keepClient = false;
    if (this.phase === Phase.KeepAlive || this.phase === Phase.Closed) {
      this.phase = Phase.Closed;
      this.socket.destroy();
      return true;
    }
    return false;
  }
}
