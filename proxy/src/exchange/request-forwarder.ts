import type { ClientSide } from './client-side.js';
import type { ProxyError } from '../errors.js';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';
import type { BodyBudget } from '../upstream/body-shield.js';
import { asProxyError } from '../caught-errors.js';
import type { RequestBody } from './request-body.js';

/** What the forwarder tells its exchange. */
export interface ForwarderEvents {
  /** The whole body went upstream. */
  bodyComplete(): void;
  /** The client's body broke its framing or a limit. */
  bodyFailed(err: ProxyError): void;
  /** The held body is complete (and checked): an upstream connection may be taken now. */
  bodyHeld(): void;
  /** The held body outgrew the buffer or the worker's budget: it streams instead. */
  bodyOverflowed(): void;
}

/** Where a body stands when the exchange asks to hold it: all here, being read, or too large to hold. */
export type HoldOutcome = 'complete' | 'reading' | 'stream';

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
  /** Reading the whole body at the edge before an upstream connection is taken. */
  private holding = false;
  private holdCap = 0;
  /** Bytes of `pending` taken from the worker's BodyBudget (given back once forwarded or the exchange ends). */
  private budgeted = 0;
  private budget: BodyBudget | null = null;
  /** A held body without a declared length, decoded: sent with Content-Length (`heldLength`), then `afterHeld` is pipelined. */
  private decodedHeld: Buffer | null = null;
  private afterHeld: Buffer | null = null;
  private sentHeld = false;

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
    return this.sentHeld || (this.body?.streamed ?? false);
  }

  /** The Content-Length of a held chunked (or h2 unsized) body sent decoded; -1 when the body goes as it came. */
  get heldLength(): number {
    return this.decodedHeld === null ? -1 : this.decodedHeld.length;
  }

  /** The held body is complete: one without a declared length is kept decoded, the bytes after its end are the next request. */
  private held(last: Buffer | null, end: number): void {
    const decoded = this.body?.decoded;
    if (decoded === undefined) return;
    this.decodedHeld = decoded.length === 1 ? (decoded[0] as Buffer) : Buffer.concat(decoded);
    decoded.length = 0;
    this.afterHeld = last !== null && end >= 0 && end < last.length ? last.subarray(end) : null;
    this.pending = null;
  }

  /** Checks what came with the head against framing and the limit before anything is forwarded (throws the 4xx). */
  check(maxBody: number): void {
    if (this.body !== null && (this.pending !== null || this.endPending)) this.body.check(this.pending, maxBody, this.endPending);
  }

  /** The route's body limit, known after the edge checks. */
  limit(maxBody: number): void {
    if (this.body !== null) this.body.maxBody = maxBody;
  }

  /**
   * Starts reading the body at the edge when it may fit `cap` bytes: 'complete' when it is all here already
   * (checked), 'reading' while more is to come (bodyHeld or bodyOverflowed follow), 'stream' when it is declared
   * larger or the worker's budget has no room. Throws the 4xx of a body that breaks its framing or the limit.
   */
  hold(cap: number, budget: BodyBudget): HoldOutcome {
    const body = this.body;
    if (body === null || this.done) return 'complete';
    if (cap <= 0 || body.declared > cap) return 'stream';
    this.budget = budget;
    this.holdCap = cap;
    const rest = this.pending;
    if (rest !== null) {
      if (!this.take(rest.length)) return 'stream';
      const end = body.scan(rest, 0);
      if (end >= 0) {
        this.held(rest, end);
        return 'complete';
      }
    }
    if (this.endPending) {
      body.scanEnd?.();
      this.held(null, -1);
      return 'complete';
    }
    if (this.budgeted > cap) return 'stream';
    this.holding = true;
    this.client.resumeReading();
    return 'reading';
  }

  /** Gives the held bytes' share of the worker's budget back (forwarded, or the exchange ended). */
  releaseBudget(): void {
    if (this.budgeted > 0) this.budget?.give(this.budgeted);
    this.budgeted = 0;
  }

  private take(n: number): boolean {
    const budget = this.budget;
    if (budget === null || !budget.tryTake(n)) return false;
    this.budgeted += n;
    return true;
  }

  /** A client read while the body is held: kept, checked, and the exchange told when the body is complete or too large. */
  private holdData(chunk: Buffer): void {
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    let end: number;
    try {
      end = (this.body as RequestBody).scan(chunk, 0);
    } catch (err) {
      return this.fail(err);
    }
    if (end >= 0) {
      this.holding = false;
      this.client.pauseReading();
      // Complete: its last read is held even past the budget (at most one read over it).
      if (!this.take(chunk.length)) {
        this.budget?.force(chunk.length);
        this.budgeted += chunk.length;
      }
      this.held(chunk, end);
      return this.events.bodyHeld();
    }
    if (!this.take(chunk.length) || this.budgeted > this.holdCap) {
      this.holding = false;
      this.client.pauseReading();
      this.events.bodyOverflowed();
    }
  }

  private fail(err: unknown): void {
    this.holding = false;
    this.done = true;
    this.events.bodyFailed(asProxyError(err));
  }

  /** Client bytes; `conn` null while there is no upstream connection to take them. */
  data(chunk: Buffer, conn: UpstreamConnection | null): void {
    if (this.done) return this.client.holdPipelined(chunk);
    if (this.holding) return this.holdData(chunk);
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
    if (this.holding) {
      this.holding = false;
      this.endPending = true;
      try {
        this.body?.scanEnd?.();
      } catch (err) {
        return this.fail(err);
      }
      this.held(null, -1);
      return this.events.bodyHeld();
    }
    if (conn === null) this.endPending = true;
    else this.finish(conn);
  }

  /** The upstream connection is ready: what was held goes now; the client reads on while the body is not complete. */
  connected(conn: UpstreamConnection): void {
    const decoded = this.decodedHeld;
    if (decoded !== null) return this.sendDecoded(conn, decoded);
    const rest = this.pending;
    this.pending = null;
    if (rest !== null) this.forward(rest, conn);
    // The held bytes are in the socket's hands now.
    this.releaseBudget();
    if (this.endPending && !this.done) this.finish(conn);
    if (!this.done) this.client.resumeReading();
  }

  /** A held body sent with Content-Length (the exchange's head says so), then the next request's bytes handed back. */
  private sendDecoded(conn: UpstreamConnection, decoded: Buffer): void {
    this.decodedHeld = null;
    if (decoded.length > 0) conn.socket.write(decoded);
    this.sentHeld = true;
    this.releaseBudget();
    this.complete();
    const after = this.afterHeld;
    this.afterHeld = null;
    if (after !== null) this.client.holdPipelined(after);
    else this.client.pauseReading();
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
