import * as hdr from 'hdr-histogram-js';

/** Latency percentiles in milliseconds, from an HDR histogram. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Percentiles plotted in reports, in the order shown. */
export const PERCENTILES = [50, 75, 90, 95, 99, 99.9] as const;

/**
 * An HDR latency histogram recording microseconds (3 significant digits, up
 * to 10 minutes), mergeable across stages and rounds.
 */
export class LatencyHistogram {
  private readonly h: hdr.Histogram;

  constructor() {
    this.h = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 600_000_000,
      numberOfSignificantValueDigits: 3,
      useWebAssembly: false,
    });
  }

  /** Records one latency given in milliseconds (autocannon's unit). */
  recordMs(ms: number): void {
    const us = Math.max(1, Math.min(600_000_000, Math.round(ms * 1000)));
    this.h.recordValue(us);
  }

  /**
   * Records a latency taken under a fixed arrival interval, back-filling the
   * samples a stalled sender skipped (HdrHistogram's coordinated-omission correction).
   */
  recordCorrectedMs(ms: number, expectedIntervalMs: number): void {
    const us = Math.max(1, Math.min(600_000_000, Math.round(ms * 1000)));
    this.h.recordValueWithExpectedInterval(us, Math.max(1, Math.round(expectedIntervalMs * 1000)));
  }

  add(other: LatencyHistogram): void {
    this.h.add(other.h);
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Value at a percentile, in milliseconds. */
  atMs(percentile: number): number {
    return this.h.totalCount === 0 ? 0 : this.h.getValueAtPercentile(percentile) / 1000;
  }

  summary(): LatencySummary {
    const round = (n: number): number => Math.round(n * 1000) / 1000;
    return {
      count: this.h.totalCount,
      mean: round(this.h.totalCount === 0 ? 0 : this.h.mean / 1000),
      p50: round(this.atMs(50)),
      p90: round(this.atMs(90)),
      p99: round(this.atMs(99)),
      p999: round(this.atMs(99.9)),
      max: round(this.h.totalCount === 0 ? 0 : this.h.maxValue / 1000),
    };
  }

  /** Percentile curve for charts: [percentile, ms] pairs. */
  curve(): Array<[number, number]> {
    return PERCENTILES.map((p) => [p, Math.round(this.atMs(p) * 1000) / 1000]);
  }
}
