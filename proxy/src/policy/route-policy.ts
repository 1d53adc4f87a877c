import { AccessList, type AccessRule } from './access-control.js';
import { ConcurrencyLimiter, RateLimiter, type RateLimitSettings } from './rate-limiter.js';

/** A limitReq zone as validated by the config (rate already in r/s). */
export interface LimitReqZone extends RateLimitSettings {
  key: string;
  status: number;
}

/** A limitConn zone as validated by the config. */
export interface LimitConnZone {
  key: string;
  max: number;
  status: number;
}

/** The edge keys of one route. */
export interface RouteEdgeConfig {
  access: readonly AccessRule[];
  limitReq: readonly string[];
  limitConn: readonly string[];
}

/** The outcome of admitting one request. */
export type Admission =
  | { kind: 'pass'; delayMs: number; release: (() => void) | null }
  | { kind: 'denied' }
  | { kind: 'limited'; status: number; retryAfterS: number; zone: string; by: 'req' | 'conn' };

/** What the policy needs to know about a request. */
export interface RequestKeys {
  /** Client address after PROXY protocol and trusted X-Forwarded-For. */
  client: string;
  /** The route's label (host + path prefix), the key for `route` zones. */
  route: string;
  /** A request header by lower-case name, null when absent. */
  header(name: string): string | null;
}

const NO_RELEASE = null;

/**
 * Zones shared by every route of one worker. A zone named by several routes
 * is one bucket set (nginx: one shared-memory zone), per worker process.
 */
export class EdgeZones {
  readonly req = new Map<string, { zone: LimitReqZone; limiter: RateLimiter }>();
  readonly conn = new Map<string, { zone: LimitConnZone; limiter: ConcurrencyLimiter }>();

  constructor(req: Record<string, LimitReqZone>, conn: Record<string, LimitConnZone>, previous?: EdgeZones) {
    // A reload keeps a zone's state when its settings did not change, so clients can't reset their buckets with a HUP.
    for (const [name, zone] of Object.entries(req)) {
      const old = previous?.req.get(name);
      this.req.set(name, old !== undefined && sameSettings(old.zone, zone) ? old : { zone, limiter: new RateLimiter(zone) });
    }
    for (const [name, zone] of Object.entries(conn)) {
      const old = previous?.conn.get(name);
      this.conn.set(name, old !== undefined && old.zone.max === zone.max && old.zone.key === zone.key ? { zone, limiter: old.limiter } : { zone, limiter: new ConcurrencyLimiter(zone.max) });
    }
  }

  /** Forgets drained rate-limit keys; call about once a second. */
  sweep(now: number): void {
    for (const { limiter } of this.req.values()) limiter.sweep(now);
  }
}

function sameSettings(a: LimitReqZone, b: LimitReqZone): boolean {
  return a.rate === b.rate && a.burst === b.burst && a.nodelay === b.nodelay && a.key === b.key && a.maxKeys === b.maxKeys;
}

/**
 * One route's admission checks in nginx's phase order: access (allow/deny,
 * 403) first, then limit_conn, then limit_req (every zone is checked; the
 * longest delay applies, any refusal refuses). Connection slots taken are
 * returned through `release` when the exchange ends.
 */
export class RoutePolicy {
  private readonly access: AccessList | null;
  private readonly reqZones: { name: string; zone: LimitReqZone; limiter: RateLimiter }[];
  private readonly connZones: { name: string; zone: LimitConnZone; limiter: ConcurrencyLimiter }[];

  constructor(route: RouteEdgeConfig, zones: EdgeZones) {
    this.access = route.access.length > 0 ? new AccessList(route.access) : null;
    this.reqZones = route.limitReq.map((name) => ({ name, ...(zones.req.get(name) as { zone: LimitReqZone; limiter: RateLimiter }) }));
    this.connZones = route.limitConn.map((name) => ({ name, ...(zones.conn.get(name) as { zone: LimitConnZone; limiter: ConcurrencyLimiter }) }));
  }

  /** True when the route has nothing to check (the fast path skips admit). */
  get empty(): boolean {
    return this.access === null && this.reqZones.length === 0 && this.connZones.length === 0;
  }

  admit(keys: RequestKeys, now: number): Admission {
    if (this.access !== null && !this.access.allows(keys.client)) return { kind: 'denied' };
    let taken: { limiter: ConcurrencyLimiter; key: string }[] | null = null;
    for (const c of this.connZones) {
      const key = keyOf(c.zone.key, keys);
      if (key === null) continue;
      if (!c.limiter.acquire(key)) {
        if (taken !== null) for (const t of taken) t.limiter.release(t.key);
        return { kind: 'limited', status: c.zone.status, retryAfterS: 1, zone: c.name, by: 'conn' };
      }
      (taken ??= []).push({ limiter: c.limiter, key });
    }
    let delayMs = 0;
    for (const r of this.reqZones) {
      const key = keyOf(r.zone.key, keys);
      // nginx: an empty key is not limited.
      if (key === null) continue;
      const d = r.limiter.check(key, now);
      if (d.action === 'reject') {
        if (taken !== null) for (const t of taken) t.limiter.release(t.key);
        return { kind: 'limited', status: r.zone.status, retryAfterS: d.retryAfterS, zone: r.name, by: 'req' };
      }
      if (d.action === 'delay' && d.delayMs > delayMs) delayMs = d.delayMs;
    }
    if (taken === null) return { kind: 'pass', delayMs, release: NO_RELEASE };
    const held = taken;
    let released = false;
    return {
      kind: 'pass',
      delayMs,
      release: () => {
        if (released) return;
        released = true;
        for (const t of held) t.limiter.release(t.key);
      },
    };
  }
}

function keyOf(spec: string, keys: RequestKeys): string | null {
  if (spec === 'ip') return keys.client;
  if (spec === 'route') return keys.route;
  const v = keys.header(spec.slice(7));
  return v === null || v === '' ? null : v;
}
