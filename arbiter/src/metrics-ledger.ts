import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Arbiter } from './arbiter.js';

/** prom-client's JSON form of a registry (what `registry.getMetricsAsJSON()` resolves to). */
export type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
type Metric = MetricJson[number];

/**
 * One metric as prom-client's JSON holds it at run time, for code that builds
 * it without a prom-client metric (a hot-path tally): prom-client's d.ts types
 * `type` as a numeric enum and requires `collect`, the JSON has the type's name
 * and no function.
 */
export interface PlainMetricJson {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  aggregator: 'sum' | 'first' | 'min' | 'max' | 'average' | 'omit';
  values: readonly { value: number; labels: Readonly<Record<string, string | number>>; metricName?: string }[];
}

/** Plain metrics as prom-client's JSON type: the one bridge over its d.ts (see PlainMetricJson). */
export function asMetricJson(plain: readonly PlainMetricJson[]): MetricJson {
  return plain as unknown as MetricJson;
}

/** What a worker answers to a metrics collect (and sends once more right before it exits). */
export interface WorkerMetricsReport {
  pid: number;
  metrics: MetricJson;
}

export function isWorkerMetricsReport(v: unknown): v is WorkerMetricsReport {
  return typeof v === 'object' && v !== null && typeof (v as WorkerMetricsReport).pid === 'number' && Array.isArray((v as WorkerMetricsReport).metrics);
}

/** The `custom` message a worker pushes its report in (MetricsReporter sends it, MetricsLedger.recordMessage reads it). */
export interface MetricsReportMessage {
  tsgiMetrics: WorkerMetricsReport;
}

export interface MetricsLedgerOptions {
  /** Worker gauges that add up over workers (in-flight requests, open connections); every other gauge is per process. */
  summedGauge?: (name: string) => boolean;
}

/**
 * The master's book of worker metrics, so that what Prometheus scrapes
 * keeps counter semantics across HUP, scale-down, max-requests and crashes
 * (as prometheus_client's multiprocess mode): each worker's latest report is
 * kept until it exits, then its counters and histograms are folded into a
 * retired total that every later scrape adds. A gracefully stopping worker
 * reports its final counts just before exiting; one killed with -9 keeps
 * what it last reported, so the sum never goes down. Gauges are per
 * process: every worker gauge gets a `pid` label and leaves with its worker,
 * except those `summedGauge` names.
 */
export class MetricsLedger {
  /** By worker pid. */
  private readonly live = new Map<number, MetricJson>();
  private retired: MetricJson = [];
  /** Pids already retired: a collect answer that arrives after the exit must not bring one back (counted twice). */
  private readonly gone = new Set<number>();
  private readonly summedGauge: (name: string) => boolean;

  constructor(options: MetricsLedgerOptions = {}) {
    this.summedGauge = options.summedGauge ?? (() => false);
  }

  /** A worker's report (from a scrape's collect or its last words). */
  record(report: WorkerMetricsReport): void {
    if (this.gone.has(report.pid)) return;
    this.live.set(report.pid, this.labelGauges(report));
  }

  /** A worker's `custom` message (ArbiterHooks.message): records it if it is a MetricsReporter's report; true if it was. */
  recordMessage(data: unknown): boolean {
    const report = (data as Partial<MetricsReportMessage> | null)?.tsgiMetrics;
    if (!isWorkerMetricsReport(report)) return false;
    this.record(report);
    return true;
  }

  /** Asks every live worker for its report (`Arbiter.collect('metrics')`); a worker that misses it keeps its previous one. */
  async collect(arbiter: Arbiter | undefined, timeoutMs = 1000): Promise<void> {
    const reports = await (arbiter?.collect('metrics', timeoutMs) ?? Promise.resolve([]));
    for (const r of reports) if (isWorkerMetricsReport(r)) this.record(r);
  }

  /** The worker exited: its counters and histograms join the retired totals. */
  retire(pid: number): void {
    const last = this.live.get(pid);
    this.live.delete(pid);
    this.gone.add(pid);
    if (this.gone.size > 4096) this.gone.delete(this.gone.values().next().value as number);
    if (last === undefined) return;
    const monotonic = last.filter((m) => kind(m) === 'counter' || kind(m) === 'histogram');
    this.retired = merge([this.retired, monotonic]);
  }

  /** A new worker started: its pid may be a reused one. */
  spawned(pid: number): void {
    this.gone.delete(pid);
  }

  /** Everything: the master's own metrics, the retired totals and every live worker's latest report. */
  render(own: MetricJson): Registry {
    const ownGauges = own.map((m) => (kind(m) === 'gauge' ? { ...m, aggregator: 'sum' as const } : m));
    return AggregatorRegistry.aggregate([ownGauges, this.retired, ...this.live.values()] as never) as unknown as Registry;
  }

  /** Per-process gauges get `pid`; every gauge is then merged by sum (labels now unique, so nothing is added up twice). */
  private labelGauges(report: WorkerMetricsReport): MetricJson {
    const pid = String(report.pid);
    return report.metrics.map((m) => {
      if (kind(m) !== 'gauge') return m;
      if (this.summedGauge(m.name)) return { ...m, aggregator: 'sum' };
      return { ...m, aggregator: 'sum', values: m.values.map((v) => ({ ...v, labels: { ...v.labels, pid } })) };
    }) as MetricJson;
  }
}

function merge(lists: MetricJson[]): MetricJson {
  const registry = AggregatorRegistry.aggregate(lists as never) as unknown as Registry;
  // Aggregated metrics are plain snapshots: getMetricsAsJSON() only reads them back.
  return (registry.getMetricsAsArray() as unknown as Array<{ get(): Metric }>).map((m) => m.get());
}

/** prom-client types `type` as an enum whose values are these strings. */
function kind(m: Metric): string {
  return String(m.type);
}
