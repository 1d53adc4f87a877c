import type { Socket } from 'node:net';
import type { ChunkedDecoder, RequestHead, ResponseHead } from '@tsgi/http1';
import type { Endpoint } from './endpoint.js';
import { PX_ERRORS, type ProxyErrorCode } from './errors.js';
import type { ProxyContext } from './proxy-context.js';
import type { UpstreamConnection } from './upstream-connection.js';
import type { UpstreamGroup } from './upstream-group.js';
import type { ClientInfo } from './edge/edge-listener.js';
import type { CompressionPolicy } from './edge/compression.js';
import type { ResponseCompressor } from './edge/response-compressor.js';
import { encodeProxyV1, encodeProxyV2, proxiedAddressOf } from './edge/proxy-protocol.js';

export const enum Phase {
  /** Waiting for the first byte of the next request. */
  KeepAlive,
  /** Part of a head has arrived. */
  Head,
  /** Waiting for a pooled or new upstream connection. */
  Connecting,
  /** Streaming the request body upstream, no response head yet. */
  Body,
  /** Request sent, waiting for the response head. */
  AwaitHead,
  /** Response head sent to the client, body streaming. */
  Stream,
  /** WebSocket / upgrade: bytes flow both ways untouched. */
  Tunnel,
  Closed,
}

export const enum RespMode {
  None,
  Length,
  /** Upstream chunked, passed through as raw bytes after validation. */
  Chunked,
  /** Upstream chunked, decoded for an HTTP/1.0 client. */
  Dechunk,
  /** Upstream close-delimited, re-framed as chunked for HTTP/1.1 clients. */
  CloseToChunked,
  /** Upstream close-delimited, passed through close-delimited. */
  CloseRaw,
  /** Compressed at the edge; the upstream body is framed by Content-Length. */
  ZLength,
  /** Compressed at the edge; the upstream body is chunked. */
  ZChunked,
  /** Compressed at the edge; the upstream body is close-delimited. */
  ZClose,
}

/**
 * The state of one client connection and the exchange in progress on it,
 * shared by the layers that make up a ClientConnection (request intake →
 * upstream attempts → response relay → the connection's lifecycle). The
 * layers are one object split by responsibility across files: a subclass
 * chain, so the hot path pays no extra allocation or indirection per
 * request. Methods one layer calls on a later one are declared here.
 */
export abstract class ExchangeState {
  deadline = Infinity;
  pending: UpstreamConnection | null = null;
  protected phase = Phase.KeepAlive;
  protected buf: Buffer | null = null;
  protected readonly peer: string;
  protected clientEnded = false;

  protected req: RequestHead | null = null;
  protected group: UpstreamGroup | null = null;
  protected endpoint: Endpoint | null = null;
  protected upstream: UpstreamConnection | null = null;
  protected upstreamHead = '';
  protected tried: Endpoint[] | null = null;
  protected attempts = 0;
  protected startedAt = 0;
  protected totalDeadline = Infinity;
  protected reqRemaining = 0;
  protected reqDecoder: ChunkedDecoder | null = null;
  protected reqBodyDone = true;
  protected bodyStreamed = false;
  protected headSent = false;
  protected keepClient = false;
  protected rbuf: Buffer | null = null;
  protected resp: ResponseHead | null = null;
  protected respMode = RespMode.None;
  protected respRemaining = 0;
  protected respDecoder: ChunkedDecoder | null = null;
  protected respReusable = true;
  /** The compressor took every decoded chunk of the current read without asking to wait. */
  protected zipOk = true;
  protected bytesOut = 0;
  /** Edge state of the current request: head size, trace ids, limit slots held, per-route body limit. */
  protected headBytes = 0;
  protected traceId = '-';
  protected requestId = '-';
  protected releaseSlots: (() => void) | null = null;
  protected maxBody = 0;
  /** The route's compression (null: off) and the compressor of the response in progress. */
  protected compress: CompressionPolicy | null = null;
  protected zip: ResponseCompressor | null = null;
  protected endpointId = '-';
  protected lastError: ProxyErrorCode = 'PX_ERR_UPSTREAM_CONNECT';
  protected lastDetail = '';

  constructor(
    protected readonly socket: Socket,
    protected readonly ctx: ProxyContext,
    /** Who the edge listener says is on the other end (PROXY protocol, TLS); null: the socket's peer over plain TCP. */
    protected readonly info: ClientInfo | null,
  ) {
    this.peer = info !== null ? info.address : normalizePeer(socket.remoteAddress ?? '');
  }

  // ---- implemented by later layers ----------------------------------------

  abstract onConnection(conn: UpstreamConnection | null, error: Error | null): void;
  abstract onUpstreamData(chunk: Buffer): void;
  abstract onUpstreamEnd(): void;
  abstract onUpstreamClose(error: Error | null): void;
  abstract onUpstreamDrain(): void;
  /** ResponseCompressor events. */
  abstract writable(): void;
  abstract done(): void;
  abstract failed(): void;
  protected abstract attempt(): void;
  protected abstract dropUpstream(): void;
  protected abstract upstreamFailed(code: ProxyErrorCode, detail: string, connectFailure: boolean): void;
  protected abstract finishWithError(code: ProxyErrorCode, detail: string): void;
  protected abstract finishResponse(): void;
  protected abstract upstreamBodyDone(): void;
  protected abstract afterExchange(): void;

  // ---- shared helpers -------------------------------------------------------

  /** An open tunnel's idle timeout (0: none), fixed when it opens so a reload does not change a running tunnel. */
  protected tunnelIdleMs = 0;

  /** Bytes crossed the tunnel (either way): its idle deadline starts again. */
  protected touchTunnel(): void {
    this.deadline = this.tunnelIdleMs > 0 ? Date.now() + this.tunnelIdleMs : Infinity;
  }

  protected record(status: number, error: ProxyErrorCode | null, cut: boolean): number {
    const req = this.req;
    const s = status !== 0 ? status : error !== null ? (errorStatus(error) ?? 500) : 500;
    this.ctx.onRecord({
      method: req?.method ?? '-',
      target: req?.target ?? '-',
      host: req?.host ?? '-',
      remote: this.peer,
      status: s,
      group: this.group?.name ?? '-',
      endpoint: this.endpointId,
      attempts: this.attempts + 1,
      durationMs: Date.now() - this.startedAt,
      bytesOut: this.bytesOut,
      error,
      traceId: this.traceId,
      requestId: this.requestId,
    });
    return s;
  }

  protected freeSlots(): void {
    const release = this.releaseSlots;
    this.releaseSlots = null;
    if (release !== null) release();
  }

  protected writeProxyHeader(sock: Socket, version: 'v1' | 'v2' | 'off'): void {
    const info = this.info;
    const addr = proxiedAddressOf(this.peer, info?.port ?? this.socket.remotePort ?? 0, info?.localAddress ?? this.socket.localAddress ?? '', info?.localPort ?? this.socket.localPort ?? 0);
    sock.write(version === 'v2' ? encodeProxyV2(addr) : encodeProxyV1(addr));
  }
}

/** First value of a request header by lower-case name, null when absent. */
export function headerValue(req: RequestHead, name: string): string | null {
  for (let i = 0; i < req.lower.length; i++) if (req.lower[i] === name) return req.values[i];
  return null;
}

export function uncork(sock: Socket): void {
  sock.uncork();
}

export function errorStatus(code: ProxyErrorCode): number | undefined {
  return PX_ERRORS[code].status;
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, so logs, XFF and trust checks see one form. */
export function normalizePeer(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

/** The part of a catalogued error's message after its fixed text. */
export function detailOf(err: Error, code: ProxyErrorCode): string {
  const text = PX_ERRORS[code].text;
  return err.message.startsWith(`${text}: `) ? err.message.slice(text.length + 2) : err.message === text ? '' : err.message;
}
