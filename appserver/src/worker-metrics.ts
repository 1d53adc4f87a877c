import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerDefaultMetrics } from './default-metrics.js';

type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);

/** Worker gauges that add up over workers; every other gauge is per process (labelled `pid` by the master). */
export const SUMMED_GAUGES: ReadonlySet<string> = new Set(['tsgi_http_requests_in_flight', 'tsgi_upgraded_connections']);

/**
 * One worker's metrics in its own registry (never prom-client's global one, so
 * an app's own metrics are not mixed in). The master merges them
 * (metrics-ledger.ts): counters and histograms sum, also over exited workers.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'status'>;
  private readonly duration: Histogram<'method' | 'status'>;
  private readonly protocolErrors: Counter<'status'>;
  private readonly upgrades: Counter;
  /** Bumped on every counted event: the periodic report to the master is skipped while nothing changed. */
  changes = 0;
  /** Label children cached per method, then status: no label object or key string per request. */
  private readonly children = new Map<string, Map<number, { count: { inc(): void }; time: { observe(v: number): void } }>>();

  constructor(inFlight: () => number, upgradedOpen: () => number) {
    this.requests = new Counter({
      name: 'tsgi_http_requests_total',
      help: 'HTTP requests served, by method and status.',
      labelNames: ['method', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'tsgi_http_request_duration_seconds',
      help: 'Time from request head parsed to response finished, by method and status.',
      labelNames: ['method', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.protocolErrors = new Counter({
      name: 'tsgi_http_protocol_errors_total',
      help: 'Requests refused before the app ran (400/413/414/431/501), by status.',
      labelNames: ['status'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'tsgi_http_requests_in_flight',
      help: 'Requests being served now.',
      registers: [this.registry],
      collect() {
        this.set(inFlight());
      },
    });
    this.upgrades = new Counter({
      name: 'tsgi_http_upgrades_total',
      help: 'Upgrade requests (WebSocket) handed to the app, or taken over by it in a route; not in tsgi_http_requests_total.',
      registers: [this.registry],
    });
    new Gauge({
      name: 'tsgi_upgraded_connections',
      help: 'Open upgraded connections (WebSockets).',
      registers: [this.registry],
      collect() {
        this.set(upgradedOpen());
      },
    });
    registerDefaultMetrics(this.registry, { eventLoopMonitoringPrecision: 20 });
  }

  /** Records one finished request (status 0: the connection died before a status line). */
  observe(method: string, status: number, durationMs: number): void {
    const m = KNOWN_METHODS.has(method) ? method : 'OTHER';
    let byStatus = this.children.get(m);
    if (!byStatus) {
      byStatus = new Map();
      this.children.set(m, byStatus);
    }
    let child = byStatus.get(status);
    if (!child) {
      const labels = { method: m, status: String(status) };
      child = { count: this.requests.labels(labels), time: this.duration.labels(labels) };
      byStatus.set(status, child);
    }
    this.changes++;
    child.count.inc();
    child.time.observe(durationMs / 1000);
  }

  upgrade(): void {
    this.changes++;
    this.upgrades.inc();
  }

  protocolError(status: number): void {
    this.changes++;
    this.protocolErrors.inc({ status: String(status) });
  }

  snapshot(): Promise<MetricJson> {
    return this.registry.getMetricsAsJSON() as Promise<MetricJson>;
  }
}
