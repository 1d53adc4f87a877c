/** Settings of one `limit_req`-style zone, as validated by the config schema. */
export interface RateLimitSettings {
  /** Requests per second allowed on average per key (`10r/s` = 10, `30r/m` = 0.5). */
  rate: number;
  /** Requests above the rate accepted in a burst before refusing. */
  burst: number;
  /** true: burst requests pass at once (nginx `nodelay`); false: they are delayed to the rate. */
  nodelay: boolean;
  /** Keys remembered at most; the least recently seen is forgotten first (nginx's zone size). */
  maxKeys: number;
}

/** What to do with one request. */
export type RateDecision =
  | { action: 'pass' }
  | { action: 'delay'; delayMs: number }
  | { action: 'reject'; retryAfterS: number };

interface Bucket {
  /** Requests waiting above the rate (nginx's `excess`), in requests. */
  excess: number;
  last: number;
}

const PASS: RateDecision = Object.freeze({ action: 'pass' });

/**
 * nginx `limit_req` semantics (leaky bucket, ngx_http_limit_req_module.c):
 * each key holds an `excess` that drains at `rate` per second; a request adds
 * one. The first request of a key passes with excess 0; a request that would
 * take excess above `burst` is refused; otherwise it passes at once
 * (`nodelay`) or is delayed by excess / rate seconds so the upstream sees the
 * configured rate. Refused requests do not add to the excess.
 *
 * State is per process: with P proxy workers each keeps its own buckets, so a
 * client whose connections are spread over the workers gets up to P × rate
 * (and P × burst). Keyed by client IP on a single keep-alive connection the
 * limit is exact; run `workers: 1` or hash clients to replicas upstream of
 * the proxy when the limit must be global.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(readonly settings: RateLimitSettings) {}

  check(key: string, now: number): RateDecision {
    const { rate, burst, nodelay } = this.settings;
    const b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= this.settings.maxKeys) this.evict(now);
      this.buckets.set(key, { excess: 0, last: now });
      return PASS;
    }
    const elapsed = Math.max(0, now - b.last) / 1000;
    // nginx drains first, then adds this request, then clamps at zero.
    let excess = b.excess - rate * elapsed + 1;
    if (excess < 0) excess = 0;
    if (excess > burst + 1e-9) {
      // Time until one request's worth has drained below the burst ceiling.
      const waitS = (excess - burst) / rate;
      return { action: 'reject', retryAfterS: Math.max(1, Math.ceil(waitS)) };
    }
    b.excess = excess;
    b.last = now;
    // Keep Map order = recency so eviction drops the least recently seen key.
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (nodelay || excess <= 0) return PASS;
    return { action: 'delay', delayMs: Math.ceil((excess / rate) * 1000) };
  }

  /** Forgets keys whose excess has drained (call about once a second). */
  sweep(now: number): void {
    const rate = this.settings.rate;
    for (const [key, b] of this.buckets) {
      if (b.excess - (rate * (now - b.last)) / 1000 <= 0) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(now: number): void {
    this.sweep(now);
    if (this.buckets.size < this.settings.maxKeys) return;
    const oldest = this.buckets.keys().next();
    if (!oldest.done) this.buckets.delete(oldest.value);
  }
}

/**
 * nginx `limit_conn`: at most `max` requests in progress per key. `acquire`
 * returns false when the key is at its limit; every successful acquire must
 * be paired with one `release`. Per process, like RateLimiter: P workers
 * allow up to P × max per key.
 */
export class ConcurrencyLimiter {
  private readonly counts = new Map<string, number>();

  constructor(readonly max: number) {}

  acquire(key: string): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= this.max) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = this.counts.get(key);
    if (n === undefined) return;
    if (n <= 1) this.counts.delete(key);
    else this.counts.set(key, n - 1);
  }

  inUse(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}
