import type { RequestHead } from '@tsgi/http1';
import { errorCode } from '@tsgi/errors';
import type { Endpoint } from '../upstream/endpoint.js';
import type { Waiter } from '../upstream/endpoint-pool.js';
import type { ProxyErrorCode } from '../errors.js';
import type { ProxyContext } from '../route/proxy-context.js';
import type { UpstreamConnection, UpstreamHandler } from '../upstream/upstream-connection.js';
import type { UpstreamGroup } from '../upstream/upstream-group.js';
import { cookieValue, stickyCookieLine } from '../upstream/sticky-cookie.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * What the leg reports to its exchange. The exchange is also the handler of
 * the attempt's connection: upstream reads go to it without passing the leg.
 */
export interface LegEvents extends UpstreamHandler {
  /** An attempt starts: waiting for a connection to `endpoint`. */
  waiting(): void;
  /** The attempt has its connection: write the request. */
  connected(conn: UpstreamConnection): void;
  /** No endpoint is left to try: answer with this error. */
  exhausted(code: ProxyErrorCode, detail: string): void;
  /** The connection could not be had (connect error): a failure of the attempt, nothing was sent. */
  connectFailed(detail: string): void;
}

/** The leg as its exchange uses it (UpstreamLeg; a fake in the exchange's unit tests). */
export interface Leg {
  readonly group: UpstreamGroup;
  /** The current attempt's connection once it has one. */
  readonly conn: UpstreamConnection | null;
  /** The endpoint of the current attempt (null between attempts and after release). */
  readonly endpoint: Endpoint | null;
  /** Retries taken so far. */
  readonly attempts: number;
  attempt(now: number): void;
  retry(code: ProxyErrorCode, detail: string, connectFailure: boolean, bodyStreamed: boolean): boolean;
  retryOnStatus(bodyStreamed: boolean): boolean;
  stickyCookie(): string;
  drop(): void;
  release(status: number, reusable: boolean): void;
  upgrade(): UpstreamConnection | null;
  /** The upstream closed the attempt's socket: nothing is left to give back. */
  lost(): void;
}

/** Makes the leg of one exchange. */
export type LegOpener = (ctx: ProxyContext, group: UpstreamGroup, req: RequestHead, peer: string, events: LegEvents) => Leg;

export const openUpstreamLeg: LegOpener = (ctx, group, req, peer, events) => new UpstreamLeg(ctx, group, req, peer, events);

/**
 * The upstream side of one exchange: the balancer's pick (sticky cookie,
 * hash key), a pooled or new connection, retries on another endpoint within
 * the group's budget, passive health (failures and successes recorded on
 * the endpoint), and the socket given back to its pool or destroyed when
 * the exchange ends. One leg per exchange, across all its attempts.
 */
export class UpstreamLeg implements Leg, Waiter {
  pending: UpstreamConnection | null = null;
  endpoint: Endpoint | null = null;
  conn: UpstreamConnection | null = null;
  /** Retries taken so far. */
  attempts = 0;
  private tried: Endpoint[] | null = null;
  private waitingForConnection = false;
  private lastError: ProxyErrorCode = 'PX_ERR_UPSTREAM_CONNECT';
  private lastDetail = '';
  /** The request's sticky cookie value (null: none or no sticky config). */
  private readonly stickyAsked: string | null;

  constructor(
    private readonly ctx: ProxyContext,
    readonly group: UpstreamGroup,
    private readonly req: RequestHead,
    private readonly peer: string,
    private readonly events: LegEvents,
  ) {
    const sticky = group.config.sticky;
    this.stickyAsked = sticky === undefined ? null : cookieValue(req.lower, req.values, sticky.cookie);
  }

  /** Picks an endpoint and asks its pool for a connection (events.connected now or later). */
  attempt(now: number): void {
    const group = this.group;
    const ep = group.stickyPick(this.stickyAsked, this.tried, now) ?? group.pick(this.tried, this.hashKey(), now);
    if (ep === null) {
      if (this.attempts > 0) this.events.exhausted(this.lastError, this.lastDetail);
      else this.events.exhausted('PX_ERR_NO_ENDPOINT', group.name);
      return;
    }
    this.endpoint = ep;
    ep.active++;
    this.waitingForConnection = true;
    this.events.waiting();
    const conn = ep.pool.acquire(this);
    if (conn !== null) this.onConnection(conn, null);
  }

  private hashKey(): string | null {
    const h = this.group.config.hash;
    if (this.group.config.balance !== 'hash' || h === undefined) return null;
    if (h.source === 'ip') return this.peer;
    if (h.name === undefined) return null;
    if (h.source === 'cookie') return cookieValue(this.req.lower, this.req.values, h.name);
    const want = h.name.toLowerCase();
    const { lower, values } = this.req;
    for (let i = 0; i < lower.length; i++) if (lower[i] === want) return values[i] ?? null;
    return null;
  }

  /** Pool callback: a connection is ready (or could not be had) for the current attempt. */
  onConnection(conn: UpstreamConnection | null, error: Error | null): void {
    if (!this.waitingForConnection) {
      // The attempt was abandoned (timeout, client gone): give the socket back.
      if (conn !== null) conn.endpoint.pool.release(conn, Date.now());
      return;
    }
    this.waitingForConnection = false;
    if (conn === null) {
      this.events.connectFailed(errorCode(error) ?? String(error));
      return;
    }
    this.conn = conn;
    conn.handler = this.events;
    conn.uses++;
    this.events.connected(conn);
  }

  lost(): void {
    this.conn = null;
  }

  /**
   * The attempt failed: records it against the endpoint and tries another
   * when the failure allows it (`connectFailure`: nothing reached the
   * upstream, so any method may go elsewhere; resets and malformed
   * responses only for idempotent methods and before any body byte went).
   * True when a new attempt started.
   */
  retry(code: ProxyErrorCode, detail: string, connectFailure: boolean, bodyStreamed: boolean): boolean {
    const ep = this.endpoint;
    this.drop();
    if (ep !== null) {
      ep.recordFailure(Date.now());
      this.ctx.onUpstreamFailure(ep, code);
    }
    this.lastError = code;
    this.lastDetail = detail;
    // Resets include a reused keep-alive socket the upstream closed just as we wrote.
    const retryable = connectFailure || code === 'PX_ERR_UPSTREAM_RESET' || code === 'PX_ERR_UPSTREAM_BAD_RESPONSE';
    if (!retryable || !this.mayRetry(connectFailure, bodyStreamed) || !this.takeRetry(code, ep)) return false;
    this.attempt(Date.now());
    return true;
  }

  /** The response has a `retries.statuses` status: counted as a failure, retried when allowed. True when a new attempt started. */
  retryOnStatus(bodyStreamed: boolean): boolean {
    const ep = this.endpoint;
    if (ep !== null) {
      ep.recordFailure(Date.now());
      this.ctx.onUpstreamFailure(ep, 'status');
    }
    // With no other endpoint to ask, the upstream's own answer goes to the client (nginx relays the last
    // proxy_next_upstream response), not a made-up 502 once the retry finds nobody.
    if (!this.mayRetry(false, bodyStreamed) || !this.group.hasAlternative(ep, this.tried, Date.now()) || !this.takeRetry('status', ep)) return false;
    this.drop();
    this.attempt(Date.now());
    return true;
  }

  private mayRetry(connectFailure: boolean, bodyStreamed: boolean): boolean {
    if (bodyStreamed || this.attempts >= this.group.config.retries.attempts) return false;
    return connectFailure || IDEMPOTENT.has(this.req.method);
  }

  private takeRetry(reason: ProxyErrorCode | 'status', ep: Endpoint | null): boolean {
    if (!this.group.budget.tryRetry(Date.now())) return false;
    this.attempts++;
    if (ep !== null) (this.tried ??= []).push(ep);
    this.ctx.onRetry(this.group.name, reason);
    return true;
  }

  /** The Set-Cookie line pinning the client to the endpoint that answers, unless its cookie already names it. */
  stickyCookie(): string {
    const sticky = this.group.config.sticky;
    if (sticky === undefined || this.endpoint === null) return '';
    const value = this.group.stickyValueOf(this.endpoint);
    return value === this.stickyAsked ? '' : stickyCookieLine(sticky, value);
  }

  /** Destroys the current upstream socket (or abandons the wait for one) and frees the endpoint's in-flight slot. */
  drop(): void {
    const conn = this.conn;
    this.conn = null;
    const ep = this.endpoint;
    if (ep !== null) {
      if (this.waitingForConnection) {
        this.waitingForConnection = false;
        ep.pool.cancel(this);
        const pending = this.pending;
        this.pending = null;
        if (pending !== null) {
          // Detach first so its close is not taken for the next attempt's failure.
          pending.handler = null;
          pending.socket.destroy();
        }
      }
      ep.active--;
      this.endpoint = null;
    }
    if (conn !== null) {
      conn.handler = null;
      conn.socket.destroy();
    }
  }

  /** The exchange is complete upstream: the endpoint's slot freed, success recorded, the socket pooled when `reusable`. */
  release(status: number, reusable: boolean): void {
    const conn = this.conn;
    const ep = this.endpoint;
    this.conn = null;
    this.endpoint = null;
    const now = Date.now();
    if (ep !== null) {
      ep.active--;
      if (!this.group.config.retries.statuses.includes(status)) ep.recordSuccess(now);
    }
    if (conn === null) return;
    if (reusable) conn.endpoint.pool.release(conn, now);
    else {
      conn.handler = null;
      conn.socket.destroy();
    }
  }

  /** The upstream answered 101: the endpoint's request is done (success), the socket now belongs to a tunnel. */
  upgrade(): UpstreamConnection | null {
    const ep = this.endpoint;
    if (ep !== null) {
      ep.active--;
      ep.recordSuccess(Date.now());
    }
    this.endpoint = null;
    return this.conn;
  }
}
