const BUCKETS = 10;
const BUCKET_MS = 1000;

/**
 * Retries allowed over a sliding 10 s window: `ratio` of the requests seen
 * plus `minPerSecond` × 10, as Envoy's retry budget and Linkerd's. When an
 * outage makes every first attempt fail, retries stay a bounded fraction of
 * live traffic instead of multiplying it.
 */
export class RetryBudget {
  private readonly requests = new Float64Array(BUCKETS);
  private readonly retries = new Float64Array(BUCKETS);
  private bucket = 0;
  private bucketStart = 0;

  constructor(
    public ratio: number,
    public minPerSecond: number,
  ) {}

  private advance(now: number): void {
    if (this.bucketStart === 0) this.bucketStart = now;
    while (now - this.bucketStart >= BUCKET_MS) {
      this.bucket = (this.bucket + 1) % BUCKETS;
      this.requests[this.bucket] = 0;
      this.retries[this.bucket] = 0;
      this.bucketStart += BUCKET_MS;
      if (now - this.bucketStart > BUCKETS * BUCKET_MS) this.bucketStart = now;
    }
  }

  /** Counts one original (non-retry) request. */
  onRequest(now: number): void {
    this.advance(now);
    this.requests[this.bucket]!++; // bucket < BUCKETS, the arrays' length
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(now: number): boolean {
    this.advance(now);
    let req = 0;
    let ret = 0;
    for (let i = 0; i < BUCKETS; i++) {
      req += this.requests[i]!;
      ret += this.retries[i]!;
    }
    if (ret + 1 > req * this.ratio + this.minPerSecond * BUCKETS) return false;
    this.retries[this.bucket]!++;
    return true;
  }
}
