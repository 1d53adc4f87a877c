import { AggregatorRegistry, type Registry } from 'prom-client';
import { SUMMED_GAUGES } from './worker-metrics.js';

type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
type Metric = MetricJson[number];

/** What a worker answers to a metrics collect (and sends once more right before it exits). */
export interface WorkerMetricsReport {
  pid: number;
  metrics: MetricJson;
}

export function isWorkerMetricsReport(v: unknown): v is WorkerMetricsReport {
  return typeof v === 'object' && v !== null && typeof (v as WorkerMetricsReport).pid === 'number' && Array.isArray((v as WorkerMetricsReport).metrics);
}

/**
 * The master's book of worker metrics, so that what Prometheus scrapes
 * keeps counter semantics across HUP, TTOU, max-requests and crashes (as
 * prometheus_client's multiprocess mode): each worker's latest report is
 * kept until it exits, then its counters and histograms are folded into a
 * retired total that every later scrape adds. A gracefully stopping worker
 * reports its final counts just before exiting; one killed with -9 keeps
 * what the last scrape saw, so its sum never goes down. Gauges are per
 * process: every worker gauge gets a `pid` label and leaves with its worker,
 * except those that add up (SUMMED_GAUGES: in-flight requests, open upgrades).
 */
export class MetricsLedger {
  /** By worker pid. */
  private readonly live = new Map<number, MetricJson>();
  private retired: MetricJson = [];
  /** Pids already retired: a collect answer that arrives after the exit must not bring one back (counted twice). */
  private readonly gone = new Set<number>();

  /** A worker's report (from a scrape's collect or its last words). */
  record(report: WorkerMetricsReport): void {
    if (this.gone.has(report.pid)) return;
    this.live.set(report.pid, labelGauges(report));
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
}

function merge(lists: MetricJson[]): MetricJson {
  const registry = AggregatorRegistry.aggregate(lists as never) as unknown as Registry;
  // Aggregated metrics are plain snapshots: getMetricsAsJSON() only reads them back.
  return (registry.getMetricsAsArray() as unknown as Array<{ get(): Metric }>).map((m) => m.get());
}

/** Per-process gauges get `pid`; every gauge is then merged by sum (labels now unique, so nothing is added up twice). */
function labelGauges(report: WorkerMetricsReport): MetricJson {
  const pid = String(report.pid);
  return report.metrics.map((m) => {
    if (kind(m) !== 'gauge') return m;
    if (SUMMED_GAUGES.has(m.name)) return { ...m, aggregator: 'sum' };
    return { ...m, aggregator: 'sum', values: m.values.map((v) => ({ ...v, labels: { ...v.labels, pid } })) };
  }) as MetricJson;
}

/** prom-client types `type` as an enum whose values are these strings. */
function kind(m: Metric): string {
  return String(m.type);
}
