import type { Endpoint } from './endpoint.js';
import type { ProxyErrorCode } from './errors.js';
import { errorResponse } from './forward-head.js';
import type { RequestHead, ResponseHead } from '@tsgi/http1';
import type { UpstreamConnection } from './upstream-connection.js';
import type { UpstreamGroup } from './upstream-group.js';
import { Phase, uncork } from './exchange-state.js';
import { RequestIntake } from './request-intake.js';
import { cookieValue, stickyCookieLine } from './sticky-cookie.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * Getting the request to an endpoint: the balancer's pick, a pooled or new
 * connection, the head (and body) written; failures retried on another
 * endpoint within the group's budget when nothing reached the client yet,
 * else answered 502/504; the upstream socket released to its pool or
 * destroyed when the exchange ends.
 */
export abstract class UpstreamAttempts extends RequestIntake {
  /** The request's sticky cookie value (null: none or no sticky config). */
  private stickyAsked: string | null = null;

  protected attempt(): void {
    const group = this.group as UpstreamGroup;
    const now = Date.now();
    const sticky = group.config.sticky;
    this.stickyAsked = sticky === undefined ? null : this.cookie(sticky.cookie);
    const ep = group.stickyPick(this.stickyAsked, this.tried, now) ?? group.pick(this.tried, this.hashKey(group), now);
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

  protected hashKey(group: UpstreamGroup): string | null {
    const h = group.config.hash;
    if (group.config.balance !== 'hash' || h === undefined) return null;
    if (h.source === 'ip') return this.peer;
    if (h.source === 'cookie') return this.cookie(h.name as string);
    const req = this.req as RequestHead;
    const want = (h.name as string).toLowerCase();
    for (let i = 0; i < req.lower.length; i++) if (req.lower[i] === want) return req.values[i];
    return null;
  }

  private cookie(name: string): string | null {
    const req = this.req as RequestHead;
    return cookieValue(req.lower, req.values, name);
  }

  /** The Set-Cookie line pinning the client to the endpoint that answers, unless its cookie already names it. */
  protected stickyCookie(): string {
    const group = this.group as UpstreamGroup;
    const sticky = group.config.sticky;
    if (sticky === undefined || this.endpoint === null) return '';
    const value = group.stickyValueOf(this.endpoint);
    return value === this.stickyAsked ? '' : stickyCookieLine(sticky, value);
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

  protected canRetry(connectFailure: boolean): boolean {
    const group = this.group as UpstreamGroup;
    if (this.headSent || this.bodyStreamed) return false;
    if (this.attempts >= group.config.retries.attempts) return false;
    return connectFailure || IDEMPOTENT.has((this.req as RequestHead).method);
  }

  protected takeRetry(reason: ProxyErrorCode | 'status'): boolean {
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
  protected upstreamFailed(code: ProxyErrorCode, detail: string, connectFailure: boolean): void {
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
  protected dropUpstream(): void {
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

  protected finishWithError(code: ProxyErrorCode, detail: string): void {
    if (!this.reqBodyDone) this.keepClient = false;
    const req = this.req;
    const close = !this.keepClient;
    this.record(0, code, false);
    this.headSent = true;
    this.socket.write(errorResponse(code, detail, close, req?.method === 'HEAD'), 'latin1');
    this.afterExchange();
  }

  protected releaseUpstream(): void {
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
  }
}
