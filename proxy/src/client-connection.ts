import type { Socket } from 'node:net';
import { ChunkedDecoder } from './chunked-decoder.js';
import type { Endpoint } from './endpoint.js';
import { PX_ERRORS, ProxyError, type ProxyErrorCode } from './errors.js';
import { buildUpstreamHead, errorResponse } from './forward-head.js';
import type { ProxyContext } from './proxy-context.js';
import { findHeadEnd, parseRequestHead, type RequestHead } from './request-head.js';
import { parseResponseHead, type ResponseHead } from './response-head.js';
import type { UpstreamConnection, UpstreamHandler } from './upstream-connection.js';
import type { UpstreamGroup } from './upstream-group.js';
import type { Waiter } from './endpoint-pool.js';
import type { ClientInfo } from './edge/edge-listener.js';
import { admit, edgeRefusal, traceForHead, type EdgeRoute } from './edge/edge-request.js';
import { resolveClientAddress } from './edge/client-address.js';
import { encodeProxyV1, encodeProxyV2, proxiedAddressOf } from './edge/proxy-protocol.js';

const enum Phase {
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

const enum RespMode {
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
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';
const SMALL_BODY = 16384;

/**
 * One client connection and the request currently on it. The head is parsed
 * strictly once from the socket's bytes; the upstream head is re-serialised;
 * bodies move as bytes (chunked request bodies re-framed after validation).
 * Failures before any response byte reached the client are retried within
 * the group's budget or answered 502/504; after that the client connection
 * is cut, so a truncated response never looks complete.
 */
export class ClientConnection implements UpstreamHandler, Waiter {
  deadline = Infinity;
  pending: UpstreamConnection | null = null;
  private phase = Phase.KeepAlive;
  private buf: Buffer | null = null;
  private readonly peer: string;
  private clientEnded = false;

  private req: RequestHead | null = null;
  private group: UpstreamGroup | null = null;
  private endpoint: Endpoint | null = null;
  private upstream: UpstreamConnection | null = null;
  private upstreamHead = '';
  private tried: Endpoint[] | null = null;
  private attempts = 0;
  private startedAt = 0;
  private totalDeadline = Infinity;
  private reqRemaining = 0;
  private reqDecoder: ChunkedDecoder | null = null;
  private reqBodyDone = true;
  private bodyStreamed = false;
  private headSent = false;
  private keepClient = false;
  private rbuf: Buffer | null = null;
  private resp: ResponseHead | null = null;
  private respMode = RespMode.None;
  private respRemaining = 0;
  private respDecoder: ChunkedDecoder | null = null;
  private respReusable = true;
  private bytesOut = 0;
  /** Edge state of the current request: head size, trace ids, limit slots held, per-route body limit. */
  private headBytes = 0;
  private traceId = '-';
  private requestId = '-';
  private releaseSlots: (() => void) | null = null;
  private maxBody = 0;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ProxyContext,
    /** Who the edge listener says is on the other end (PROXY protocol, TLS); null: the socket's peer over plain TCP. */
    private readonly info: ClientInfo | null = null,
  ) {
    this.peer = info !== null ? info.address : normalizePeer(socket.remoteAddress ?? '');
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onClientEnd());
    socket.on('drain', () => {
      if (this.upstream !== null && (this.phase === Phase.Stream || this.phase === Phase.Tunnel)) this.upstream.socket.resume();
    });
    socket.on('error', () => {});
    socket.on('close', () => this.onClientClose());
    this.deadline = Date.now() + ctx.config.timeouts.keepAlive;
    ctx.connections.add(this);
  }

  // ---- client side -------------------------------------------------------

  private onData(chunk: Buffer): void {
    switch (this.phase) {
      case Phase.KeepAlive:
        this.phase = Phase.Head;
        this.deadline = Date.now() + this.ctx.config.timeouts.clientHeader;
        this.buf = chunk;
        this.tryHead();
        return;
      case Phase.Head:
        this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
        this.tryHead();
        return;
      case Phase.Body:
      case Phase.AwaitHead:
      case Phase.Stream:
        if (!this.reqBodyDone && this.upstream !== null) {
          this.deadline = Date.now() + this.ctx.config.timeouts.clientIdle;
          this.forwardBody(chunk, 0);
        } else {
          this.holdPipelined(chunk);
        }
        return;
      case Phase.Tunnel:
        if (this.upstream !== null && !this.upstream.socket.write(chunk)) this.socket.pause();
        return;
      default:
        this.holdPipelined(chunk);
    }
  }

  private holdPipelined(chunk: Buffer): void {
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    this.socket.pause();
    const limits = this.ctx.config.limits;
    if (this.buf.length > limits.maxHeaderBytes + limits.maxRequestLine) this.socket.destroy();
  }

  private tryHead(): void {
    const buf = this.buf as Buffer;
    const limits = this.ctx.config.limits;
    let req: RequestHead;
    let end: number;
    try {
      end = findHeadEnd(buf, limits);
      if (end < 0) return;
      req = parseRequestHead(buf.toString('latin1', 0, end), limits);
    } catch (err) {
      this.refuse(err);
      return;
    }
    this.buf = end < buf.length ? buf.subarray(end) : null;
    this.headBytes = end;
    // Hold the body until an upstream is connected; bodiless requests keep reading
    // (pipelined bytes are parked by holdPipelined, which pauses then).
    if (req.contentLength > 0 || req.chunked || req.upgrade !== '') this.socket.pause();
    this.startRequest(req);
  }

  /** Answers a malformed request with its status and closes: nothing was forwarded. */
  private refuse(err: unknown): void {
    const code = (err instanceof ProxyError ? err.code : 'PX_ERR_BAD_REQUEST') as ProxyErrorCode;
    this.phase = Phase.Closed;
    this.deadline = Infinity;
    this.ctx.onRecord({
      method: '-',
      target: '-',
      host: '-',
      remote: this.peer,
      status: (err as ProxyError).status ?? 400,
      group: '-',
      endpoint: '-',
      attempts: 0,
      durationMs: 0,
      bytesOut: 0,
      error: code,
      traceId: '-',
      requestId: '-',
    });
    if (this.socket.writable) this.socket.end(errorResponse(code, detailOf(err as Error, code), true, false), 'latin1');
    this.socket.destroySoon();
  }

  private startRequest(req: RequestHead): void {
    const ctx = this.ctx;
    const now = Date.now();
    this.req = req;
    this.startedAt = now;
    this.attempts = 0;
    this.tried = null;
    this.endpointId = '-';
    this.headSent = false;
    this.bytesOut = 0;
    this.bodyStreamed = false;
    this.totalDeadline = Infinity;
    this.keepClient = req.keepAlive && !ctx.draining && !this.clientEnded;
    this.traceId = '-';
    this.requestId = '-';
    const maxBody = ctx.config.limits.maxBodyBytes;
    this.maxBody = maxBody;
    if (maxBody > 0 && req.contentLength > maxBody) {
      this.refuse(new ProxyError('PX_ERR_BODY_TOO_LARGE', `Content-Length ${req.contentLength} > ${maxBody}`, 413));
      return;
    }
    if (req.chunked) {
      this.reqBodyDone = false;
      if (this.reqDecoder === null) this.reqDecoder = new ChunkedDecoder((b, s, e) => this.onRequestChunk(b, s, e));
      else this.reqDecoder.reset();
    } else if (req.contentLength > 0) {
      this.reqBodyDone = false;
      this.reqRemaining = req.contentLength;
    } else {
      this.reqBodyDone = true;
    }
    if (req.chunked && this.buf !== null && !this.prevalidate(this.buf, maxBody)) return;
    const match = ctx.route(req.host, req.target);
    if (match === null) {
      this.finishWithError('PX_ERR_NO_ROUTE', `${req.host}${req.target.split('?')[0]}`);
      return;
    }
    const group = match.group;
    this.group = group;
    let extra: string | undefined;
    if (ctx.config.trace.enabled) {
      const t = traceForHead({ lower: req.lower, values: req.values, headBytes: this.headBytes });
      this.traceId = t.ids.traceId;
      this.requestId = t.ids.requestId;
      extra = t.lines;
    }
    const gate = this.edgeGate(req, match.edge, now);
    if (gate < 0) return;
    group.budget.onRequest(now);
    const t = group.config.timeouts.total;
    if (t > 0) this.totalDeadline = now + t;
    this.upstreamHead = buildUpstreamHead(req, {
      peer: this.peer,
      trusted: ctx.isTrusted(this.peer),
      proto: this.info !== null && this.info.tls ? 'https' : 'http',
      via: ctx.config.forwarded.via,
      extra,
    });
    if (gate > 0) {
      // limitReq without nodelay: hold the request until the rate allows it.
      this.phase = Phase.Connecting;
      this.deadline = Infinity;
      setTimeout(() => {
        if (this.phase === Phase.Connecting && this.req === req) this.attempt();
      }, gate);
      return;
    }
    this.attempt();
  }

  /**
   * Route-level edge checks (per-route size limits, allow/deny, limitConn,
   * limitReq). Returns -1 when the request was answered here, 0 to go on,
   * or a delay in ms.
   */
  private edgeGate(req: RequestHead, edge: EdgeRoute, now: number): number {
    if (edge.maxHeaderBytes !== undefined && this.headBytes > edge.maxHeaderBytes) {
      this.edgeAnswer(431, 'PX_ERR_HEADERS_TOO_LARGE', `request header fields too large for this route (${this.headBytes} > ${edge.maxHeaderBytes} bytes)`, null);
      return -1;
    }
    if (edge.maxBodyBytes !== undefined) {
      this.maxBody = edge.maxBodyBytes;
      if (req.contentLength > edge.maxBodyBytes) {
        this.edgeAnswer(413, 'PX_ERR_BODY_TOO_LARGE', `request body too large for this route (Content-Length ${req.contentLength} > ${edge.maxBodyBytes})`, null);
        return -1;
      }
    }
    if (edge.policy === null || edge.policy.empty) return 0;
    const xff: string[] = [];
    for (let i = 0; i < req.lower.length; i++) if (req.lower[i] === 'x-forwarded-for') xff.push(req.values[i]);
    const client = xff.length === 0 ? this.peer : resolveClientAddress(this.peer, xff, (ip) => this.ctx.isTrusted(ip));
    const a = admit(edge, { lower: req.lower, values: req.values, headBytes: this.headBytes }, client, now);
    if (a === null) return 0;
    if (a.kind === 'denied') {
      this.ctx.onEdge('denied', edge.label);
      this.edgeAnswer(403, 'PX_ERR_FORBIDDEN', 'access denied', null);
      return -1;
    }
    if (a.kind === 'limited') {
      this.ctx.onEdge('limited', a.zone, a.by);
      this.edgeAnswer(a.status, a.by === 'req' ? 'PX_ERR_RATE_LIMITED' : 'PX_ERR_CONN_LIMITED', a.by === 'req' ? `rate limit exceeded (zone ${a.zone})` : `too many requests in progress (zone ${a.zone})`, a.retryAfterS);
      return -1;
    }
    this.releaseSlots = a.release;
    if (a.delayMs > 0) this.ctx.onEdge('delayed', edge.label);
    return a.delayMs;
  }

  /** Answers a request the edge refused after parsing (nothing forwarded); keeps the connection when its framing allows. */
  private edgeAnswer(status: number, code: ProxyErrorCode, detail: string, retryAfterS: number | null): void {
    if (!this.reqBodyDone) this.keepClient = false;
    const req = this.req as RequestHead;
    this.record(status, code, false);
    this.headSent = true;
    this.socket.write(edgeRefusal(status, code, detail, retryAfterS, !this.keepClient, req.method === 'HEAD', this.requestId === '-' ? null : this.requestId), 'latin1');
    this.afterExchange();
  }

  /**
   * Checks the chunked body bytes that came with the head before anything is
   * forwarded, so a request with bad framing in its first packet never
   * reaches an upstream (later packets are checked as they stream).
   */
  private prevalidate(rest: Buffer, maxBody: number): boolean {
    const probe = new ChunkedDecoder(() => {});
    try {
      probe.push(rest, 0);
    } catch (err) {
      this.refuse(err);
      return false;
    }
    if (maxBody > 0 && probe.total > maxBody) {
      this.refuse(new ProxyError('PX_ERR_BODY_TOO_LARGE', `chunked body over ${maxBody}`, 413));
      return false;
    }
    return true;
  }

  private attempt(): void {
    const group = this.group as UpstreamGroup;
    const now = Date.now();
    const ep = group.pick(this.tried, this.hashKey(group), now);
    if (ep === null) {
      this.finishWithError(this.attempts > 0 ? this.lastError : 'PX_ERR_NO_ENDPOINT', this.attempts > 0 ? this.lastDetail : group.name);
      return;
    }
    this.endpoint = ep;
    this.endpointId = ep.id;
    ep.active++;
    this.phase = Phase.Connecting;
    this.deadline = Math.min(now + group.config.timeouts.connect, this.totalDeadline);
    const conn = ep.pool.acquire(this);
    if (conn !== null) this.onConnection(conn, null);
  }

  private endpointId = '-';
  private lastError: ProxyErrorCode = 'PX_ERR_UPSTREAM_CONNECT';
  private lastDetail = '';

  private hashKey(group: UpstreamGroup): string | null {
    const h = group.config.hash;
    if (group.config.balance !== 'hash' || h === undefined) return null;
    if (h.source === 'ip') return this.peer;
    const req = this.req as RequestHead;
    const want = h.source === 'header' ? (h.name as string).toLowerCase() : 'cookie';
    for (let i = 0; i < req.lower.length; i++) {
      if (req.lower[i] !== want) continue;
      if (h.source === 'header') return req.values[i];
      for (const part of req.values[i].split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0 && part.slice(0, eq).trim() === h.name) return part.slice(eq + 1).trim();
      }
    }
    return null;
  }

  /** Pool callback: a connection is ready (or could not be had) for the current attempt. */
  onConnection(conn: UpstreamConnection | null, error: Error | null): void {
    if (this.phase !== Phase.Connecting) {
      // The attempt was abandoned (timeout, client gone): give the socket back.
      if (conn !== null) conn.endpoint.pool.release(conn, Date.now());
      return;
    }
    if (conn === null) {
      this.upstreamFailed('PX_ERR_UPSTREAM_CONNECT', (error as NodeJS.ErrnoException | null)?.code ?? String(error), true);
      return;
    }
    this.upstream = conn;
    conn.handler = this;
    conn.uses++;
    this.rbuf = null;
    this.resp = null;
    const group = this.group as UpstreamGroup;
    const sock = conn.socket;
    // A PROXY header names one client, so such connections carry one exchange and are never pooled.
    this.respReusable = group.config.proxyProtocol === 'off';
    if (!this.respReusable && conn.uses === 1) this.writeProxyHeader(sock, group.config.proxyProtocol);
    if (this.reqBodyDone) {
      sock.write(this.upstreamHead, 'latin1');
      this.phase = Phase.AwaitHead;
      this.deadline = Math.min(Date.now() + group.config.timeouts.header, this.totalDeadline);
      return;
    }
    sock.cork();
    sock.write(this.upstreamHead, 'latin1');
    {
      this.phase = Phase.Body;
      this.deadline = Math.min(Date.now() + this.ctx.config.timeouts.clientIdle, this.totalDeadline);
      const rest = this.buf;
      this.buf = null;
      if (rest !== null) this.forwardBody(rest, 0);
      if (!this.reqBodyDone && this.phase === Phase.Body) this.socket.resume();
    }
    process.nextTick(uncork, sock);
  }

  /** Moves request body bytes upstream (CL counted, chunked validated and re-framed). */
  private forwardBody(chunk: Buffer, start: number): void {
    const up = (this.upstream as UpstreamConnection).socket;
    let ok = true;
    let end: number;
    if (this.reqDecoder !== null && (this.req as RequestHead).chunked) {
      try {
        end = this.reqDecoder.push(chunk, start);
      } catch (err) {
        this.abortRequestBody(err as ProxyError);
        return;
      }
      const maxBody = this.maxBody;
      if (maxBody > 0 && this.reqDecoder.total > maxBody) {
        this.abortRequestBody(new ProxyError('PX_ERR_BODY_TOO_LARGE', `chunked body over ${maxBody}`, 413));
        return;
      }
      if (end >= 0) ok = up.write(LAST_CHUNK);
      else ok = up.writableLength < 65536;
    } else {
      const avail = chunk.length - start;
      const take = avail < this.reqRemaining ? avail : this.reqRemaining;
      if (take > 0) {
        ok = up.write(start === 0 && take === chunk.length ? chunk : chunk.subarray(start, start + take));
        this.bodyStreamed = true;
      }
      this.reqRemaining -= take;
      end = this.reqRemaining === 0 ? start + take : -1;
    }
    if (end >= 0) {
      this.reqBodyDone = true;
      if (end < chunk.length) this.holdPipelined(chunk.subarray(end));
      else this.socket.pause();
      if (this.phase === Phase.Body) {
        this.phase = Phase.AwaitHead;
        this.deadline = Math.min(Date.now() + (this.group as UpstreamGroup).config.timeouts.header, this.totalDeadline);
      }
    } else if (!ok) {
      this.socket.pause();
    }
  }

  private onRequestChunk(buf: Buffer, s: number, e: number): void {
    const up = (this.upstream as UpstreamConnection).socket;
    up.write(`${(e - s).toString(16)}\r\n`, 'latin1');
    up.write(buf.subarray(s, e));
    up.write(CRLF, 'latin1');
    this.bodyStreamed = true;
  }

  /** The client's body broke framing or a limit: 4xx if nothing was answered yet, else cut. */
  private abortRequestBody(err: ProxyError): void {
    this.dropUpstream();
    if (this.headSent) {
      this.socket.destroy();
      return;
    }
    this.keepClient = false;
    this.finishWithError(err.code as ProxyErrorCode, detailOf(err, err.code as ProxyErrorCode));
  }

  private onClientEnd(): void {
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

  private onClientClose(): void {
    const wasActive = this.phase !== Phase.KeepAlive && this.phase !== Phase.Head && this.phase !== Phase.Closed;
    const phase = this.phase;
    this.phase = Phase.Closed;
    this.deadline = Infinity;
    this.ctx.connections.delete(this);
    if (wasActive && phase !== Phase.Tunnel) this.record(499, 'PX_ERR_CLIENT_ABORT', true);
    this.freeSlots();
    this.dropUpstream();
  }

  // ---- upstream side -----------------------------------------------------

  onUpstreamDrain(): void {
    if (!this.reqBodyDone || this.phase === Phase.Tunnel) this.socket.resume();
  }

  onUpstreamData(chunk: Buffer): void {
    if (this.phase === Phase.Tunnel) {
      if (!this.socket.write(chunk)) (this.upstream as UpstreamConnection).socket.pause();
      return;
    }
    if (this.phase === Phase.Stream) {
      this.deadline = Math.min(Date.now() + (this.group as UpstreamGroup).config.timeouts.idle, this.totalDeadline);
      this.responseBody(chunk, 0);
      return;
    }
    this.rbuf = this.rbuf === null ? chunk : Buffer.concat([this.rbuf, chunk]);
    this.responseHead();
  }

  private responseHead(): void {
    const req = this.req as RequestHead;
    for (;;) {
      const buf = this.rbuf as Buffer;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > this.ctx.config.limits.maxResponseHeaderBytes) this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', 'response head too large', false);
        return;
      }
      let head: ResponseHead;
      try {
        head = parseResponseHead(buf.toString('latin1', 0, end + 4), req.upgrade !== '');
      } catch (err) {
        this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', (err as Error).message, false);
        return;
      }
      const restStart = end + 4;
      if (head.status >= 200 || head.status === 101) {
        this.rbuf = null;
        this.startResponse(head, buf, restStart);
        return;
      }
      // Interim responses: relay 100 Continue to a client that asked for it, drop the rest.
      if (head.status === 100 && req.expectContinue && !this.headSent) this.socket.write(CONTINUE, 'latin1');
      if (restStart >= buf.length) {
        this.rbuf = null;
        return;
      }
      this.rbuf = buf.subarray(restStart);
    }
  }

  private startResponse(head: ResponseHead, buf: Buffer, start: number): void {
    const req = this.req as RequestHead;
    const group = this.group as UpstreamGroup;
    if (head.status === 101) {
      if (req.upgrade === '') {
        this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', '101 without upgrade request', false);
        return;
      }
      this.startTunnel(head, buf, start);
      return;
    }
    if (group.config.retries.statuses.includes(head.status)) {
      (this.endpoint as Endpoint).recordFailure(Date.now());
      this.ctx.onUpstreamFailure(this.endpoint as Endpoint, 'status');
      if (this.canRetry(false) && this.takeRetry('status')) {
        this.dropUpstream();
        this.attempt();
        return;
      }
    }
    this.resp = head;
    const noBody = req.method === 'HEAD' || head.status === 204 || head.status === 304;
    let framing: string;
    if (noBody) {
      this.respMode = RespMode.None;
      framing = head.contentLength >= 0 && head.status !== 204 ? `content-length: ${head.contentLength}\r\n` : '';
      // A body on a 204/304 would desync the socket.
      if (req.method !== 'HEAD' && (head.contentLength > 0 || head.chunked)) this.respReusable = false;
    } else if (head.contentLength >= 0) {
      this.respMode = RespMode.Length;
      this.respRemaining = head.contentLength;
      framing = `content-length: ${head.contentLength}\r\n`;
    } else if (head.chunked) {
      if (this.respDecoder === null) this.respDecoder = new ChunkedDecoder((b, s, e) => this.onResponseChunk(b, s, e));
      else this.respDecoder.reset();
      if (req.minor === 1) {
        this.respMode = RespMode.Chunked;
        framing = 'transfer-encoding: chunked\r\n';
      } else {
        this.respMode = RespMode.Dechunk;
        framing = '';
        this.keepClient = false;
      }
    } else {
      this.respReusable = false;
      if (req.minor === 1) {
        this.respMode = RespMode.CloseToChunked;
        framing = 'transfer-encoding: chunked\r\n';
      } else {
        this.respMode = RespMode.CloseRaw;
        framing = '';
        this.keepClient = false;
      }
    }
    if (head.close) this.respReusable = false;
    if (!this.reqBodyDone) this.keepClient = false;
    if (this.ctx.draining) this.keepClient = false;
    const conn = this.keepClient ? (req.minor === 0 ? 'connection: keep-alive\r\n' : '') : 'connection: close\r\n';
    const out = `HTTP/1.1 ${head.status} ${head.reason}\r\n${head.lines}${framing}via: 1.1 ${this.ctx.config.forwarded.via}\r\n${conn}\r\n`;
    this.headSent = true;
    this.phase = Phase.Stream;
    this.deadline = Math.min(Date.now() + group.config.timeouts.idle, this.totalDeadline);
    const sock = this.socket;
    if (this.respMode === RespMode.None) {
      sock.write(out, 'latin1');
      if (start < buf.length) this.respReusable = false;
      this.finishResponse();
      return;
    }
    const avail = buf.length - start;
    if (this.respMode === RespMode.Length && avail > 0 && avail <= this.respRemaining && avail <= SMALL_BODY) {
      // The common small response: head and body in one buffer, one write syscall, no writev.
      const headLen = out.length;
      const one = Buffer.allocUnsafe(headLen + avail);
      one.write(out, 0, headLen, 'latin1');
      buf.copy(one, headLen, start);
      this.respRemaining -= avail;
      this.bytesOut += avail;
      const ok = sock.write(one);
      if (this.respRemaining === 0) this.finishResponse();
      else if (!ok && this.upstream !== null) this.upstream.socket.pause();
      return;
    }
    sock.cork();
    sock.write(out, 'latin1');
    if (avail > 0) this.responseBody(buf, start);
    process.nextTick(uncork, sock);
  }

  private responseBody(chunk: Buffer, start: number): void {
    const sock = this.socket;
    let ok = true;
    switch (this.respMode) {
      case RespMode.Length: {
        const avail = chunk.length - start;
        const take = avail < this.respRemaining ? avail : this.respRemaining;
        ok = sock.write(start === 0 && take === chunk.length ? chunk : chunk.subarray(start, start + take));
        this.bytesOut += take;
        this.respRemaining -= take;
        if (this.respRemaining === 0) {
          if (start + take < chunk.length) this.respReusable = false;
          this.finishResponse();
          return;
        }
        break;
      }
      case RespMode.Chunked:
      case RespMode.Dechunk: {
        let end: number;
        try {
          end = (this.respDecoder as ChunkedDecoder).push(chunk, start);
        } catch {
          this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', 'bad chunked framing', false);
          return;
        }
        if (this.respMode === RespMode.Chunked) {
          const stop = end < 0 ? chunk.length : end;
          ok = sock.write(start === 0 && stop === chunk.length ? chunk : chunk.subarray(start, stop));
          this.bytesOut += stop - start;
        }
        if (end >= 0) {
          if (end < chunk.length) this.respReusable = false;
          this.finishResponse();
          return;
        }
        break;
      }
      case RespMode.CloseToChunked:
        sock.write(`${(chunk.length - start).toString(16)}\r\n`, 'latin1');
        sock.write(start === 0 ? chunk : chunk.subarray(start));
        ok = sock.write(CRLF, 'latin1');
        this.bytesOut += chunk.length - start;
        break;
      case RespMode.CloseRaw:
        ok = sock.write(start === 0 ? chunk : chunk.subarray(start));
        this.bytesOut += chunk.length - start;
        break;
      default:
        break;
    }
    if (!ok && this.upstream !== null) this.upstream.socket.pause();
  }

  private onResponseChunk(buf: Buffer, s: number, e: number): void {
    if (this.respMode !== RespMode.Dechunk) return;
    this.bytesOut += e - s;
    if (!this.socket.write(buf.subarray(s, e)) && this.upstream !== null) this.upstream.socket.pause();
  }

  onUpstreamEnd(): void {
    if (this.phase === Phase.Tunnel) {
      this.socket.end();
      return;
    }
    if (this.phase === Phase.Stream && (this.respMode === RespMode.CloseToChunked || this.respMode === RespMode.CloseRaw)) {
      if (this.respMode === RespMode.CloseToChunked) this.socket.write(LAST_CHUNK, 'latin1');
      this.finishResponse();
    }
    // Otherwise 'close' follows and reports the truncation.
  }

  onUpstreamClose(error: Error | null): void {
    this.upstream = null;
    if (this.phase === Phase.Tunnel) {
      this.socket.destroy();
      return;
    }
    if (this.phase === Phase.Closed || this.phase === Phase.KeepAlive || this.phase === Phase.Head) return;
    const detail = (error as NodeJS.ErrnoException | null)?.code ?? 'connection closed';
    this.upstreamFailed('PX_ERR_UPSTREAM_RESET', detail, false);
  }

  private startTunnel(head: ResponseHead, buf: Buffer, start: number): void {
    const conn = this.upstream as UpstreamConnection;
    this.phase = Phase.Tunnel;
    this.deadline = Infinity;
    this.headSent = true;
    this.record(101, null, false);
    (this.endpoint as Endpoint).active--;
    (this.endpoint as Endpoint).recordSuccess(Date.now());
    this.endpoint = null;
    this.socket.write(`HTTP/1.1 101 ${head.reason}\r\n${head.lines}connection: upgrade\r\n\r\n`, 'latin1');
    if (start < buf.length) this.socket.write(buf.subarray(start));
    const rest = this.buf;
    this.buf = null;
    if (rest !== null) conn.socket.write(rest);
    this.socket.resume();
  }

  // ---- completion and failure ---------------------------------------------

  private canRetry(connectFailure: boolean): boolean {
    const group = this.group as UpstreamGroup;
    if (this.headSent || this.bodyStreamed) return false;
    if (this.attempts >= group.config.retries.attempts) return false;
    return connectFailure || IDEMPOTENT.has((this.req as RequestHead).method);
  }

  private takeRetry(reason: ProxyErrorCode | 'status'): boolean {
    const group = this.group as UpstreamGroup;
    if (!group.budget.tryRetry(Date.now())) return false;
    this.attempts++;
    (this.tried ??= []).push(this.endpoint as Endpoint);
    this.ctx.onRetry(group.name, reason);
    return true;
  }

  /**
   * The current attempt failed. `connectFailure` means nothing reached the
   * upstream, so even non-idempotent requests may go elsewhere.
   */
  private upstreamFailed(code: ProxyErrorCode, detail: string, connectFailure: boolean): void {
    const ep = this.endpoint;
    this.dropUpstream();
    if (this.phase === Phase.Closed) return;
    if (this.headSent) {
      // Bytes already went out: cut the connection so the client sees an incomplete response.
      this.record(this.resp?.status ?? 502, code, true);
      this.phase = Phase.Closed;
      this.socket.destroy();
      return;
    }
    if (ep !== null) {
      ep.recordFailure(Date.now());
      this.ctx.onUpstreamFailure(ep, code);
    }
    this.lastError = code;
    this.lastDetail = detail;
    // Resets include a reused keep-alive socket the upstream closed just as we wrote.
    const retryable = connectFailure || code === 'PX_ERR_UPSTREAM_RESET' || code === 'PX_ERR_UPSTREAM_BAD_RESPONSE';
    if (retryable && this.canRetry(connectFailure) && this.takeRetry(code)) {
      this.attempt();
      return;
    }
    this.finishWithError(code, detail);
  }

  /** Releases or destroys the current upstream socket and the endpoint's in-flight slot. */
  private dropUpstream(): void {
    const conn = this.upstream;
    this.upstream = null;
    if (this.endpoint !== null) {
      if (conn === null) {
        this.endpoint.pool.cancel(this);
        const pending = this.pending;
        this.pending = null;
        if (pending !== null) {
          // Detach first so its close is not taken for the next attempt's failure.
          pending.handler = null;
          pending.socket.destroy();
        }
      }
      this.endpoint.active--;
      this.endpoint = null;
    }
    if (conn !== null) {
      conn.handler = null;
      conn.socket.destroy();
    }
  }

  private finishWithError(code: ProxyErrorCode, detail: string): void {
    if (!this.reqBodyDone) this.keepClient = false;
    const req = this.req;
    const close = !this.keepClient;
    this.record(0, code, false);
    this.headSent = true;
    this.socket.write(errorResponse(code, detail, close, req?.method === 'HEAD'), 'latin1');
    this.afterExchange();
  }

  private finishResponse(): void {
    const conn = this.upstream;
    const ep = this.endpoint;
    this.upstream = null;
    this.endpoint = null;
    const now = Date.now();
    if (ep !== null) {
      ep.active--;
      if (!(this.group as UpstreamGroup).config.retries.statuses.includes((this.resp as ResponseHead).status)) ep.recordSuccess(now);
    }
    if (conn !== null) {
      if (this.respReusable && this.reqBodyDone) conn.endpoint.pool.release(conn, now);
      else {
        conn.handler = null;
        conn.socket.destroy();
      }
    }
    this.record((this.resp as ResponseHead).status, null, false);
    this.afterExchange();
  }

  private writeProxyHeader(sock: Socket, version: 'v1' | 'v2' | 'off'): void {
    const info = this.info;
    const addr = proxiedAddressOf(this.peer, info?.port ?? this.socket.remotePort ?? 0, info?.localAddress ?? this.socket.localAddress ?? '', info?.localPort ?? this.socket.localPort ?? 0);
    sock.write(version === 'v2' ? encodeProxyV2(addr) : encodeProxyV1(addr));
  }

  private freeSlots(): void {
    const release = this.releaseSlots;
    this.releaseSlots = null;
    if (release !== null) release();
  }

  private afterExchange(): void {
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

  private record(status: number, error: ProxyErrorCode | null, cut: boolean): number {
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

function uncork(sock: Socket): void {
  sock.uncork();
}

function errorStatus(code: ProxyErrorCode): number | undefined {
  return PX_ERRORS[code].status;
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, so logs, XFF and trust checks see one form. */
export function normalizePeer(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

/** The part of a catalogued error's message after its fixed text. */
function detailOf(err: Error, code: ProxyErrorCode): string {
  const text = PX_ERRORS[code].text;
  return err.message.startsWith(`${text}: `) ? err.message.slice(text.length + 2) : err.message === text ? '' : err.message;
}
