/** One series value as prom-client's `get()` gives it. */
export interface TallyValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** One metric as an entry of prom-client's `getMetricsAsJSON()` (its d.ts types `type` as an enum; the JSON holds the name). */
export interface TallyMetricJson {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: TallyValue[];
  aggregator: 'sum';
}

interface Cell {
  labels: { method: string; status: string; route: string };
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  buckets: Float64Array;
}

/**
 * The per-request counter and duration histogram, counted in plain numbers and
 * turned into prom-client's JSON only when the master asks for a snapshot.
 * prom-client's labelled `inc()`/`observe()` hash the label object on every
 * call; on a hello-world route that was a visible share of the worker's CPU.
 * The JSON has the shape `Registry.getMetricsAsJSON()` gives, so the master's
 * AggregatorRegistry sums it like any other worker metric.
 */
export class RequestTally {
  /** Cells by route, then method, then status: nested maps, so no key string is built per request. */
  private readonly cells = new Map<string, Map<string, Map<number, Cell>>>();

  constructor(
    private readonly counter: { name: string; help: string },
    private readonly histogram: { name: string; help: string; buckets: readonly number[] },
  ) {}

  /** `route` must already be bounded (RouteLabels): every distinct value is a series. */
  observe(method: string, status: number, seconds: number, route: string): void {
    let byMethod = this.cells.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.cells.set(route, byMethod);
    }
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let cell = byStatus.get(status);
    if (cell === undefined) {
      cell = { labels: { method, status: String(status), route }, count: 0, sum: 0, buckets: new Float64Array(this.histogram.buckets.length + 1) };
      byStatus.set(status, cell);
    }
    cell.count += 1;
    cell.sum += seconds;
    const bounds = this.histogram.buckets;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]!) i++;
    // buckets has bounds.length + 1 cells (the last is +Inf), so i is in range.
    cell.buckets[i]! += 1;
  }

  /** The counter and the histogram as prom-client metric JSON. */
  toJson(): TallyMetricJson[] {
    const counts: TallyValue[] = [];
    const histogram: TallyValue[] = [];
    const { name, buckets: bounds } = this.histogram;
    for (const byMethod of this.cells.values()) {
      for (const byStatus of byMethod.values()) {
        for (const cell of byStatus.values()) {
          counts.push({ value: cell.count, labels: { ...cell.labels } });
          let cumulative = 0;
          for (let i = 0; i <= bounds.length; i++) {
            cumulative += cell.buckets[i]!; // bounds.length + 1 cells
            const le = bounds[i] ?? '+Inf';
            histogram.push({ value: cumulative, metricName: `${name}_bucket`, labels: { le, ...cell.labels } });
          }
          histogram.push({ value: cell.sum, metricName: `${name}_sum`, labels: { ...cell.labels } });
          histogram.push({ value: cell.count, metricName: `${name}_count`, labels: { ...cell.labels } });
        }
      }
    }
    return [
      { name: this.counter.name, help: this.counter.help, type: 'counter', values: counts, aggregator: 'sum' },
      { name, help: this.histogram.help, type: 'histogram', values: histogram, aggregator: 'sum' },
    ];
  }
}
