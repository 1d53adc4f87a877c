import { ChunkedDecoder, leadingEmptyLines, parseRequestHead, RequestHeadScanner, type RequestHead } from '@tsgi/http1';
import { ProxyError, proxyError, type ProxyErrorCode } from './errors.js';
import { buildUpstreamHead, errorResponse } from './forward-head.js';
import { headLimitsOf, toProxyError } from './wire.js';
import type { UpstreamConnection } from './upstream-connection.js';
import type { UpstreamGroup } from './upstream-group.js';
import { admit, edgeRefusal, traceForHead, type EdgeRoute } from './edge/edge-request.js';
import { resolveClientAddress } from './edge/client-address.js';
import { ExchangeState, Phase, detailOf } from './exchange-state.js';

const LAST_CHUNK = '0\r\n\r\n';
const CRLF = '\r\n';

/**
 * The client side of a request: bytes from the socket, the head parsed
 * strictly once (malformed → refused, nothing forwarded), routing and the
 * edge checks (limits, allow/deny, rate and connection limits, trace
 * context), then the request body moved upstream as bytes (Content-Length
 * counted, chunked validated and re-framed).
 */
export abstract class RequestIntake extends ExchangeState {
  /** Checks each head while it arrives (one per connection), so a broken one is refused in the packet that shows it. */
  private readonly scanner = new RequestHeadScanner(headLimitsOf(this.ctx.config.limits));
  private readonly sendChunk = (buf: Buffer, s: number, e: number): void => this.onRequestChunk(buf, s, e);
  private static readonly ignoreChunk = (): void => {};

  protected onData(chunk: Buffer): void {
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
        this.touchTunnel();
        if (this.upstream !== null && !this.upstream.socket.write(chunk)) this.socket.pause();
        return;
      default:
        this.holdPipelined(chunk);
    }
  }

  protected holdPipelined(chunk: Buffer): void {
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    this.socket.pause();
    if (this.buf.length > this.scanner.limits.headBytes) this.socket.destroy();
  }

  protected tryHead(): void {
    let buf = this.buf as Buffer;
    if (buf[0] === 13) {
      const skip = leadingEmptyLines(buf);
      if (skip === buf.length) {
        this.buf = null;
        return;
      }
      buf = buf.subarray(skip);
      this.buf = buf;
    }
    let req: RequestHead;
    let end: number;
    try {
      end = this.scanner.scan(buf, 0);
      if (end < 0) return;
      req = parseRequestHead(buf, 0, end, this.scanner.limits);
    } catch (err) {
      this.scanner.reset();
      this.refuse(toProxyError(err));
      return;
    }
    this.buf = end < buf.length ? buf.subarray(end) : null;
    this.headBytes = end;
    // An edge proxy does not tunnel CONNECT; the head itself was valid.
    if (req.method === 'CONNECT') {
      this.refuse(proxyError('PX_ERR_NOT_IMPLEMENTED', 'CONNECT'));
      return;
    }
    // Hold the body until an upstream is connected; bodiless requests keep reading
    // (pipelined bytes are parked by holdPipelined, which pauses then).
    if (req.contentLength > 0 || req.chunked || req.upgrade !== '') this.socket.pause();
    this.startRequest(req);
  }

  /** Answers a malformed request with its status and closes: nothing was forwarded. */
  protected refuse(err: unknown): void {
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

  protected startRequest(req: RequestHead): void {
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
      if (this.reqDecoder === null) this.reqDecoder = new ChunkedDecoder(this.scanner.limits, req.names.length);
      else this.reqDecoder.reset(req.names.length);
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
    this.compress = match.edge.compression;
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
  protected edgeGate(req: RequestHead, edge: EdgeRoute, now: number): number {
    if (edge.maxHeaderBytes !== undefined && this.headBytes > edge.maxHeaderBytes) {
      // A head over a limit is refused like a broken one: 431 and the connection closed.
      this.keepClient = false;
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
  protected edgeAnswer(status: number, code: ProxyErrorCode, detail: string, retryAfterS: number | null): void {
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
  protected prevalidate(rest: Buffer, maxBody: number): boolean {
    const probe = new ChunkedDecoder(this.scanner.limits, (this.req as RequestHead).names.length);
    if (maxBody > 0) probe.maxDeclared = maxBody;
    try {
      probe.push(rest, 0, RequestIntake.ignoreChunk);
    } catch (err) {
      this.refuse(toProxyError(err));
      return false;
    }
    if (maxBody > 0 && probe.total > maxBody) {
      this.refuse(new ProxyError('PX_ERR_BODY_TOO_LARGE', `chunked body over ${maxBody}`, 413));
      return false;
    }
    return true;
  }

  /** Moves request body bytes upstream (CL counted, chunked validated and re-framed). */
  protected forwardBody(chunk: Buffer, start: number): void {
    const up = (this.upstream as UpstreamConnection).socket;
    let ok = true;
    let end: number;
    if (this.reqDecoder !== null && (this.req as RequestHead).chunked) {
      // The route's limit is known only after the edge checks; a chunk announcing more is refused before any of it goes upstream.
      this.reqDecoder.maxDeclared = this.maxBody > 0 ? this.maxBody : Number.POSITIVE_INFINITY;
      try {
        end = this.reqDecoder.push(chunk, start, this.sendChunk);
      } catch (err) {
        this.abortRequestBody(toProxyError(err) as ProxyError);
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

  protected onRequestChunk(buf: Buffer, s: number, e: number): void {
    const up = (this.upstream as UpstreamConnection).socket;
    up.write(`${(e - s).toString(16)}\r\n`, 'latin1');
    up.write(buf.subarray(s, e));
    up.write(CRLF, 'latin1');
    this.bodyStreamed = true;
  }

  /** The client's body broke framing or a limit: 4xx if nothing was answered yet, else cut. */
  protected abortRequestBody(err: ProxyError): void {
    this.dropUpstream();
    if (this.headSent) {
      this.socket.destroy();
      return;
    }
    this.keepClient = false;
    this.finishWithError(err.code as ProxyErrorCode, detailOf(err, err.code as ProxyErrorCode));
  }
}
