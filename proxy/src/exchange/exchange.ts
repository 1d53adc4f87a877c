import type { RequestHead, ResponseHead } from '@tsgi/http1';
import { errorCode } from '@tsgi/errors';
import type { ClientSide } from './client-side.js';
import { ProxyError, type ProxyErrorCode } from '../errors.js';
import { buildUpstreamHead, type ForwardInfo } from './forward-head.js';
import type { ProxyContext } from '../route/proxy-context.js';
import type { ServerSpan } from '@tsgi/arbiter';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';
import type { CompressionPolicy } from '../policy/compression.js';
import { traceForHead } from '../policy/edge-request.js';
import { responseTrailerLimitsOf } from '../config/wire-limits.js';
import type { ErrorAnswers, LocalAnswer } from '../policy/error-answers.js';
import { checkRoute } from '../policy/edge-gate.js';
import { AWAITING_RESPONSE, DONE, FORWARDING_BODY, QUEUED_BODY, READING_BODY, ROUTING, WAITING_UPSTREAM, timeoutOf, type ExchangePhase } from './phase.js';
import { streamCapOf, type StreamWaiter } from '../upstream/body-shield.js';
import { planResponse } from './response-plan.js';
import { asProxyError, codeOf, errorStatusOf } from '../caught-errors.js';
import { refusalRecord } from './access-record.js';
import { writeProxyHeader } from '../upstream/proxy-header.js';
import type { RequestBody } from './request-body.js';
import { RequestForwarder, type ForwarderEvents } from './request-forwarder.js';
import { ResponseHeadReader } from './response-reader.js';
import type { BodyRelay, RelayDone } from './relays.js';
import { Tunnel } from './tunnel.js';
import { openUpstreamLeg, type Leg, type LegEvents, type LegOpener } from './upstream-leg.js';

function uncork(sock: UpstreamConnection['socket']): void {
  sock.uncork();
}

/**
 * One request and its response, from a parsed head to the last byte: the
 * route and its edge checks, the upstream leg (attempts, retries), the
 * request body moved upstream, the response head and a relay for its body,
 * or a tunnel after a 101. The client codec feeds it and the attempt's
 * upstream connection calls it (it is the connection's handler); it answers
 * through ClientSide, which each codec implements, and hears from its relay
 * only through RelayDone. Failures before any response byte reached the
 * client are retried or answered 502/504; after that the client is cut.
 */
export class Exchange implements LegEvents, RelayDone, ForwarderEvents, StreamWaiter {
  phase: ExchangePhase = ROUTING;
  private due = Infinity;
  private totalDeadline = Infinity;
  private readonly startedAt = Date.now();
  /** An answer or a 101 went to the client (a relay's head: its `out.headSent`). */
  private answered = false;
  private readonly fwd: RequestForwarder;
  private readonly reader: ResponseHeadReader;
  private leg: Leg | null = null;
  /** The response body's relay, once a final head came. */
  private relay: BodyRelay | null = null;
  private upstreamHead = '';
  private traceId = '-';
  private requestId = '-';
  /** Timings and counts for the access record: the current attempt's start, its connect and response-head times (ms, -1 none), client bytes. */
  private attemptAt = 0;
  private connectMs = -1;
  private headerMs = -1;
  private bytesIn: number;
  private span: ServerSpan | null = null;
  private releaseSlots: (() => void) | null = null;
  private compress: CompressionPolicy | null = null;
  private resp: ResponseHead | null = null;
  private reusable = true;
  private endpointId = '-';
  /** Holds one of the group's streaming slots (bodyStreams) until the body is upstream or the exchange ends. */
  private streamSlot = false;
  /** This proxy answered `Expect: 100-continue` itself (it reads the body before any upstream is asked). */
  private continueSent = false;
  private forwardInfo: ForwardInfo | null = null;
  /** The route's error answers once routed; the worker's global ones before. */
  private errors: ErrorAnswers;
  /** What went wrong, for the access record (the client sees it only with `debug: true`). */
  private detail: string | null = null;

  constructor(
    private readonly ctx: ProxyContext,
    readonly client: ClientSide,
    private readonly req: RequestHead,
    body: RequestBody | null,
    rest: Buffer | null,
    /** The client may keep its connection after this exchange (HTTP/1.1). */
    public keepAlive: boolean,
    private readonly openLeg: LegOpener = openUpstreamLeg,
  ) {
    this.errors = ctx.errors;
    this.bytesIn = req.headBytes + (rest?.length ?? 0);
    this.fwd = new RequestForwarder(client, body, rest, this);
    this.reader = new ResponseHeadReader(ctx.config.limits.maxResponseHeaderBytes, req.upgrade !== '');
  }

  private get bodyDone(): boolean {
    return this.fwd.done;
  }

  /** Some response byte reached the client: a failure from now on cuts it instead of answering. */
  private get headSent(): boolean {
    return this.answered || (this.relay !== null && this.relay.out.headSent);
  }

  /** Response body bytes sent to the client. */
  get bytesOut(): number {
    return this.relay === null ? 0 : this.relay.out.bytesOut;
  }

  /** When the sweep calls onTimeout. */
  get deadline(): number {
    return this.phase.kind === 'tunnel' ? this.phase.tunnel.deadline : this.due;
  }

  // ---- routing and edge checks ---------------------------------------------

  start(): void {
    const { ctx, req } = this;
    const now = this.startedAt;
    const maxBody = ctx.config.limits.maxBodyBytes;
    if (maxBody > 0 && req.contentLength > maxBody) return this.refuse(new ProxyError('PX_ERR_BODY_TOO_LARGE', `Content-Length ${req.contentLength} > ${maxBody}`));
    try {
      this.fwd.check(maxBody);
    } catch (err) {
      return this.refuse(err);
    }
    const match = ctx.route(req.host, req.target);
    if (match === null) return this.finishWithError('PX_ERR_NO_ROUTE', `${req.host}${req.target.split('?')[0] ?? ''}`);
    this.errors = match.edge.errors;
    const group = match.group;
    this.compress = match.edge.compression;
    let extra: string | undefined;
    if (ctx.config.trace.enabled) {
      const t = traceForHead(req, ctx.startSpan);
      this.span = t.ids.span;
      this.traceId = t.ids.traceId;
      this.requestId = t.ids.requestId;
      extra = t.lines;
    }
    const leg = this.openLeg(ctx, group, req, this.client.peer, this);
    this.leg = leg;
    const gate = checkRoute(ctx, req, match.edge, this.client.peer, maxBody, now);
    if (gate.kind === 'refuse') {
      if (gate.close) this.keepAlive = false;
      return this.answerEdge(gate.status, gate.code, gate.detail, gate.retryAfterS);
    }
    this.fwd.limit(gate.maxBody);
    this.releaseSlots = gate.release;
    group.budget.onRequest(now);
    const total = group.config.timeouts.total;
    if (total > 0) this.totalDeadline = now + total;
    const info = this.client.info;
    const forwardInfo: ForwardInfo = { peer: this.client.peer, trusted: ctx.isTrusted(this.client.peer), proto: info.tls ? 'https' : 'http', via: ctx.config.forwarded.via, extra };
    this.forwardInfo = forwardInfo;
    this.upstreamHead = buildUpstreamHead(req, forwardInfo);
    if (gate.delayMs > 0) {
      // limitReq without nodelay: hold the request until the rate allows it.
      const timer = setTimeout(() => {
        if (this.phase.kind === 'delayed') this.dispatch(Date.now());
      }, gate.delayMs);
      this.phase = { kind: 'delayed', timer };
      return;
    }
    this.dispatch(now);
  }

  // ---- the request body's shield (upstream/body-shield.ts) --------------------------

  /**
   * Takes the upstream leg once the body allows it: bodiless requests and upgrades at once; bodies up to
   * `requestBody.bufferSize` are read whole at the edge first (a slow sender holds no app-tier connection);
   * larger ones take one of the group's streaming slots, wait for one, or get 503.
   */
  private dispatch(now: number): void {
    const leg = this.leg;
    if (leg === null) return;
    if (this.fwd.done || this.req.upgrade !== '') return leg.attempt(now);
    let held;
    try {
      held = this.fwd.hold(this.ctx.config.requestBody.bufferSize, this.ctx.bodyBudget);
    } catch (err) {
      this.fwd.done = true;
      return this.bodyFailed(asProxyError(err));
    }
    if (held === 'complete') return this.attemptHeld(now);
    if (held === 'stream') return this.streamBody(now);
    this.phase = READING_BODY;
    this.arm(this.ctx.config.timeouts.clientBody);
    if (this.req.expectContinue) {
      // The body is read here before any upstream is asked (as nginx does), so the go-ahead comes from here.
      this.continueSent = true;
      this.client.sendContinue();
    }
  }

  bodyHeld(): void {
    if (this.phase.kind === 'reading-body') this.attemptHeld(Date.now());
  }

  /** The body is all here: a chunked one goes with its Content-Length now that it is known (as nginx sends it). */
  private attemptHeld(now: number): void {
    const length = this.fwd.heldLength;
    const info = this.forwardInfo;
    if (length >= 0 && info !== null) this.upstreamHead = buildUpstreamHead(this.req, { ...info, bodyLength: length });
    this.leg?.attempt(now);
  }

  bodyOverflowed(): void {
    if (this.phase.kind === 'reading-body') this.streamBody(Date.now());
  }

  private streamBody(now: number): void {
    const leg = this.leg;
    if (leg === null) return;
    const group = leg.group;
    const cfg = group.config;
    const verdict = group.bodyStreams.acquire(this, streamCapOf(cfg.bodyStreams.max, cfg.pool.maxConnections, group.endpoints.length), cfg.bodyStreams.queue);
    if (verdict === 'granted') {
      this.streamSlot = true;
      return leg.attempt(now);
    }
    if (verdict === 'refused') return this.clientSideFailure('PX_ERR_BODY_STREAMS_BUSY', group.name);
    this.phase = QUEUED_BODY;
    this.client.pauseReading();
    this.arm(cfg.timeouts.connect);
  }

  streamGranted(): void {
    this.streamSlot = true;
    if (this.phase.kind === 'queued-body') this.leg?.attempt(Date.now());
    else this.freeStreamSlot();
  }

  private freeStreamSlot(): void {
    const leg = this.leg;
    if (leg === null) return;
    if (this.streamSlot) {
      this.streamSlot = false;
      leg.group.bodyStreams.release();
    } else leg.group.bodyStreams.cancel(this);
  }

  /** A failure on the client's side (body too slow, no streaming slot): nothing counts against the endpoint; answered and closed, or cut. */
  private clientSideFailure(code: ProxyErrorCode, detail: string): void {
    this.leg?.drop();
    this.keepAlive = false;
    if (this.headSent) {
      this.freeSlots();
      this.record(this.resp?.status ?? errorStatusOf(code) ?? 500, code);
      this.phase = DONE;
      this.client.cut();
      return;
    }
    this.finishWithError(code, detail);
  }

  // ---- the upstream leg's events ---------------------------------------------

  waiting(): void {
    const leg = this.leg;
    if (leg === null) return;
    this.phase = WAITING_UPSTREAM;
    this.endpointId = leg.endpoint?.id ?? '-';
    this.attemptAt = performance.now();
    this.connectMs = -1;
    this.headerMs = -1;
    this.arm(leg.group.config.timeouts.connect);
  }

  connected(conn: UpstreamConnection): void {
    this.connectMs = performance.now() - this.attemptAt;
    const group = this.legGroup();
    const sock = conn.socket;
    this.reader.reset();
    this.resp = null;
    // A PROXY header names one client, so such connections carry one exchange and are never pooled.
    this.reusable = group.config.proxyProtocol === 'off';
    if (group.config.proxyProtocol !== 'off' && conn.uses === 1) writeProxyHeader(sock, group.config.proxyProtocol, this.client.info);
    if (this.bodyDone) {
      sock.write(this.upstreamHead, 'latin1');
      this.phase = AWAITING_RESPONSE;
      this.arm(group.config.timeouts.header);
      return;
    }
    sock.cork();
    sock.write(this.upstreamHead, 'latin1');
    this.phase = FORWARDING_BODY;
    this.arm(this.ctx.config.timeouts.clientBody);
    this.fwd.connected(conn);
    process.nextTick(uncork, sock);
  }

  exhausted(code: ProxyErrorCode, detail: string): void {
    this.finishWithError(code, detail);
  }

  connectFailed(detail: string): void {
    this.upstreamFailed('PX_ERR_UPSTREAM_CONNECT', detail, true);
  }

  onUpstreamData(chunk: Buffer): void {
    const phase = this.phase;
    if (phase.kind === 'tunnel') phase.tunnel.fromUpstream(chunk);
    else if (phase.kind === 'relaying') {
      this.arm(this.legGroup().config.timeouts.idle);
      phase.relay.data(chunk, 0);
    } else {
      this.reader.push(chunk);
      this.readResponseHead();
    }
  }

  onUpstreamEnd(): void {
    const phase = this.phase;
    if (phase.kind === 'tunnel') phase.tunnel.upstreamEnded();
    else if (phase.kind === 'relaying') phase.relay.upstreamEnded();
    // Otherwise 'close' follows and reports the truncation.
  }

  onUpstreamClose(error: Error | null): void {
    this.leg?.lost();
    const phase = this.phase;
    if (phase.kind === 'tunnel') return phase.tunnel.close();
    if (phase.kind === 'done') return;
    this.upstreamFailed('PX_ERR_UPSTREAM_RESET', errorCode(error) ?? 'connection closed', false);
  }

  onUpstreamDrain(): void {
    if (this.phase.kind === 'tunnel') this.phase.tunnel.upstreamDrained();
    else if (!this.bodyDone) this.client.resumeReading();
  }

  // ---- the client's side -------------------------------------------------------

  /** Bytes from the client after the head: body, tunnel data, or the next pipelined request. */
  requestData(chunk: Buffer): void {
    const phase = this.phase;
    if (phase.kind === 'tunnel') return phase.tunnel.fromClient(chunk);
    this.bytesIn += chunk.length;
    const conn = phase.kind === 'forwarding-body' || phase.kind === 'awaiting-response' || phase.kind === 'relaying' ? (this.leg?.conn ?? null) : null;
    // Before the response: a body still arriving keeps the client idle deadline moving (never past the total
    // timeout). Once the response relays, only upstream reads move the deadline (nginx's proxy_read_timeout).
    if ((phase.kind === 'forwarding-body' && conn !== null && !this.bodyDone) || phase.kind === 'reading-body') this.arm(this.ctx.config.timeouts.clientBody);
    this.fwd.data(chunk, conn);
  }

  /** The client's request stream ended (HTTP/2 END_STREAM). */
  requestEnd(): void {
    this.fwd.end(this.phase.kind === 'forwarding-body' ? (this.leg?.conn ?? null) : null);
  }

  bodyComplete(): void {
    // The body is all upstream: its streaming slot goes to the next large body.
    this.freeStreamSlot();
    if (this.phase === FORWARDING_BODY) {
      this.phase = AWAITING_RESPONSE;
      this.arm(this.legGroup().config.timeouts.header);
    }
  }

  /** The client's body broke framing or a limit: 4xx if nothing was answered yet, else cut. */
  bodyFailed(err: ProxyError): void {
    this.leg?.drop();
    if (this.headSent) {
      this.phase = DONE;
      this.client.cut();
      return;
    }
    this.keepAlive = false;
    const code = codeOf(err);
    this.finishWithError(code, err.detail);
  }

  /** The client sent FIN (HTTP/1.1). */
  clientEnded(): void {
    this.keepAlive = false;
    const phase = this.phase;
    if (phase.kind === 'tunnel') phase.tunnel.clientEnded();
    else if (!this.bodyDone && phase.kind !== 'done') {
      // The client stopped sending mid-body: the request can never complete.
      this.leg?.drop();
      this.client.cut();
    }
  }

  /** The client connection (or stream) is gone. */
  clientClosed(): void {
    const phase = this.phase;
    this.phase = DONE;
    this.due = Infinity;
    if (phase.kind === 'relaying') phase.relay.destroy();
    if (phase.kind === 'delayed') clearTimeout(phase.timer);
    if (phase.kind !== 'done' && phase.kind !== 'tunnel') this.record(499, 'PX_ERR_CLIENT_ABORT');
    this.freeSlots();
    this.leg?.drop();
  }

  clientDrained(): void {
    const phase = this.phase;
    if (phase.kind === 'relaying') phase.relay.clientDrained();
    else if (phase.kind === 'tunnel') phase.tunnel.clientDrained();
  }

  /** Called by the sweep once `deadline` has passed. */
  onTimeout(now: number): void {
    const phase = this.phase;
    if (phase.kind === 'tunnel') return phase.tunnel.close();
    const t = timeoutOf(phase, now >= this.totalDeadline);
    if (t === null) {
      this.due = Infinity;
      return;
    }
    if (t.code === 'PX_ERR_BODY_TIMEOUT' || t.code === 'PX_ERR_BODY_STREAMS_BUSY') return this.clientSideFailure(t.code, t.detail);
    if (t.cutsClient) this.keepAlive = false;
    this.upstreamFailed(t.code, t.detail, t.connectFailure);
  }

  // ---- the response ---------------------------------------------------------------

  private readResponseHead(): void {
    for (;;) {
      const r = this.reader.next();
      switch (r.kind) {
        case 'partial':
          return;
        case 'bad':
          return this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', r.detail, false);
        case 'final':
          return this.startResponse(r.head, r.buf, r.start);
        default:
          // Interim responses: relay 100 Continue to a client that asked for it, drop the rest.
          if (r.head.status === 100 && this.req.expectContinue && !this.headSent && !this.continueSent) this.client.sendContinue();
      }
    }
  }

  private startResponse(head: ResponseHead, buf: Buffer, start: number): void {
    const leg = this.leg;
    if (leg === null) return;
    this.headerMs = performance.now() - this.attemptAt;
    if (head.status === 101) {
      if (this.req.upgrade === '') return this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', '101 without upgrade request', false);
      return this.startTunnel(head, buf, start, leg);
    }
    if (leg.group.config.retries.statuses.includes(head.status) && leg.retryOnStatus(this.fwd.streamed)) return;
    const conn = leg.conn;
    if (conn === null) return this.upstreamFailed('PX_ERR_UPSTREAM_RESET', 'connection closed', false);
    this.resp = head;
    if (!this.bodyDone || this.ctx.draining) this.keepAlive = false;
    const parties = { client: this.client, upstream: conn.socket, done: this, keepAlive: this.keepAlive, metrics: this.ctx };
    const plan = planResponse(parties, this.req, head, this.compress, leg.stickyCookie(), responseTrailerLimitsOf(this.ctx.config.limits));
    if (!plan.reusable) this.reusable = false;
    const relay = plan.relay;
    // Without framing the body ends with the connection.
    if (relay.out.framing === 'close') this.keepAlive = false;
    this.relay = relay;
    this.phase = { kind: 'relaying', relay };
    this.arm(leg.group.config.timeouts.idle);
    relay.start(buf, start);
  }

  private startTunnel(head: ResponseHead, buf: Buffer, start: number, leg: Leg): void {
    const conn = leg.upgrade();
    if (conn === null) return this.upstreamFailed('PX_ERR_UPSTREAM_RESET', 'connection closed', false);
    this.answered = true;
    this.record(101, null);
    this.phase = { kind: 'tunnel', tunnel: new Tunnel(this.client, conn, leg.group.config.timeouts.tunnelIdle) };
    this.client.sendUpgrade(head.reason, head.lines, buf, start);
    const rest = this.fwd.takePending();
    if (rest !== null) conn.socket.write(rest);
    this.client.resumeReading();
  }

  // ---- RelayDone ----------------------------------------------------------------------

  upstreamDone(leftover: boolean): void {
    this.leg?.release(this.resp?.status ?? 0, this.reusable && this.bodyDone && !leftover);
  }

  responseDone(): void {
    this.record(this.resp?.status ?? 0, null);
    this.afterExchange();
  }

  broken(detail: string): void {
    this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', detail, false);
  }

  // ---- endings -------------------------------------------------------------------------

  /**
   * The current attempt failed. `connectFailure` means nothing reached the
   * upstream, so even non-idempotent requests may go elsewhere.
   */
  private upstreamFailed(code: ProxyErrorCode, detail: string, connectFailure: boolean): void {
    const phase = this.phase;
    if (phase.kind === 'done') return;
    this.detail = detail;
    if (this.headSent) {
      // Bytes already went out: cut the connection so the client sees an incomplete response.
      this.leg?.drop();
      if (phase.kind === 'relaying') phase.relay.destroy();
      this.record(this.resp?.status ?? 502, code);
      this.phase = DONE;
      this.client.cut();
      return;
    }
    if (this.leg !== null && this.leg.retry(code, detail, connectFailure, this.fwd.streamed)) return;
    this.finishWithError(code, detail);
  }

  /** Answers 502/504 (or the error's catalogued status) in place of a response. */
  private finishWithError(code: ProxyErrorCode, detail: string): void {
    this.detail = detail;
    this.answerLocally(0, code, this.errors.forCode(code, detail, this.req.method === 'HEAD'));
  }

  /** Answers a request the edge refused after parsing (nothing forwarded). */
  private answerEdge(status: number, code: ProxyErrorCode, detail: string, retryAfterS: number | null): void {
    this.detail = detail;
    this.answerLocally(status, code, this.errors.forEdge(status, code, detail, retryAfterS, this.req.method === 'HEAD', this.requestId === '-' ? null : this.requestId));
  }

  /** The proxy's own answer; keeps the client connection when the request body was read to its end. */
  private answerLocally(status: number, code: ProxyErrorCode, answer: LocalAnswer): void {
    if (!this.bodyDone) this.keepAlive = false;
    this.record(status, code);
    this.answered = true;
    this.client.answer(answer, !this.keepAlive);
    this.afterExchange();
  }

  /** Refuses a request before routing (body limit, bad chunked framing in the first packet) and closes: nothing was forwarded. */
  private refuse(err: unknown): void {
    const e = asProxyError(err);
    const code = codeOf(e);
    this.phase = DONE;
    this.ctx.onRecord(refusalRecord(this.client.peer, e.status ?? 400, code));
    this.client.refuse(this.ctx.errors.forCode(code, e.detail, false));
    this.client.exchangeDone(false);
  }

  private afterExchange(): void {
    this.freeSlots();
    this.phase = DONE;
    this.due = Infinity;
    this.client.exchangeDone(this.keepAlive);
  }

  /** The current phase's deadline: `timeoutMs` from now, never past the request's total timeout. */
  private arm(timeoutMs: number): void {
    this.due = Math.min(Date.now() + timeoutMs, this.totalDeadline);
  }

  private freeSlots(): void {
    this.freeStreamSlot();
    this.fwd.releaseBudget();
    const release = this.releaseSlots;
    this.releaseSlots = null;
    if (release !== null) release();
  }

  private legGroup(): Leg['group'] {
    const leg = this.leg;
    if (leg === null) throw new Error('exchange has no upstream leg');
    return leg.group;
  }

  private record(status: number, error: ProxyErrorCode | null): void {
    const req = this.req;
    this.ctx.onRecord({
      method: req.method,
      target: req.target,
      host: req.host,
      remote: this.client.peer,
      status: status !== 0 ? status : error !== null ? (errorStatusOf(error) ?? 500) : 500,
      group: this.leg?.group.name ?? '-',
      endpoint: this.endpointId,
      attempts: (this.leg?.attempts ?? 0) + 1,
      durationMs: Date.now() - this.startedAt,
      bytesOut: this.bytesOut,
      error,
      detail: error !== null ? this.detail : null,
      traceId: this.traceId,
      requestId: this.requestId,
      protocol: this.client.version === 'h2' ? 'HTTP/2.0' : req.minor === 0 ? 'HTTP/1.0' : 'HTTP/1.1',
      head: req,
      // A Content-Length body ends where it says: bytes after it are the next pipelined request.
      bytesIn: req.contentLength >= 0 ? Math.min(this.bytesIn, req.headBytes + req.contentLength) : this.bytesIn,
      connectMs: this.connectMs,
      headerMs: this.headerMs,
      startedAt: this.startedAt,
      span: this.span,
    });
  }
}
