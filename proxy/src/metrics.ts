import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestStats } from './request-stats.js';
import type { UpstreamGroup } from './upstream-group.js';

/**
 * One proxy worker's metrics in its own registry. With several workers the
 * master merges every worker's JSON with AggregatorRegistry.aggregate
 * (counters and histograms sum; the per-endpoint gauges sum too, so
 * `endpoint_healthy` reads as "workers that consider it healthy").
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly stats: RequestStats;
  private readonly retries: Counter<'upstream' | 'reason'>;
  private readonly ejections: Counter<'upstream' | 'endpoint'>;
  private readonly failures: Counter<'upstream' | 'endpoint' | 'reason'>;

  constructor(groups: () => Iterable<UpstreamGroup>, activeConnections: () => number) {
    const registers = [this.registry];
    this.stats = new RequestStats(this.registry);
    this.retries = new Counter({ name: 'tsgi_proxy_retries_total', help: 'Attempts retried on another endpoint, by reason.', labelNames: ['upstream', 'reason'], registers });
    this.ejections = new Counter({ name: 'tsgi_proxy_ejections_total', help: 'Passive-health ejections.', labelNames: ['upstream', 'endpoint'], registers });
    this.failures = new Counter({ name: 'tsgi_proxy_upstream_failures_total', help: 'Failed upstream attempts, by reason.', labelNames: ['upstream', 'endpoint', 'reason'], registers });
    new Gauge({
      name: 'tsgi_proxy_endpoint_healthy',
      help: '1 when the endpoint takes traffic (not ejected, passing active checks).',
      labelNames: ['upstream', 'endpoint'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const g of groups()) for (const ep of g.endpoints) this.set({ upstream: g.name, endpoint: ep.id }, ep.available(now) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tsgi_proxy_endpoint_active_requests',
      help: 'In-flight requests per endpoint.',
      labelNames: ['upstream', 'endpoint'],
      registers,
      collect() {
        this.reset();
        for (const g of groups()) for (const ep of g.endpoints) this.set({ upstream: g.name, endpoint: ep.id }, ep.active);
      },
    });
    new Gauge({
      name: 'tsgi_proxy_active_connections',
      help: 'Open client connections.',
      registers,
      collect() {
        this.set(activeConnections());
      },
    });
    collectDefaultMetrics({ register: this.registry });
    // prom-client names three gauges `*_total` (nodejs_active_handles_total, ...); Prometheus keeps that suffix for
    // counters and `promtool check metrics` rejects them. The same numbers remain in nodejs_active_handles{type} etc.
    for (const metric of this.registry.getMetricsAsArray()) {
      const m = metric as unknown as { name: string; type?: string };
      if (m.name.endsWith('_total') && m.type !== 'counter') this.registry.removeSingleMetric(m.name);
    }
  }

  request(group: string, status: number, durationMs: number): void {
    this.stats.record(group, status, durationMs);
  }

  retry(group: string, reason: string): void {
    this.retries.inc({ upstream: group, reason });
  }

  ejection(group: string, endpoint: string): void {
    this.ejections.inc({ upstream: group, endpoint });
  }

  failure(group: string, endpoint: string, reason: string): void {
    this.failures.inc({ upstream: group, endpoint, reason });
  }

  /**
   * This worker's metrics for the master's merge (--workers > 1). Process and
   * Node gauges (process_max_fds, process_start_time_seconds, event loop lag,
   * ...) describe one process: they get a `pid` label so the merge keeps one
   * sample per worker instead of a sum (or, for process_start_time_seconds,
   * prom-client's default of dropping it).
   */
  async snapshot(): Promise<unknown[]> {
    const pid = String(process.pid);
    const metrics = await this.registry.getMetricsAsJSON();
    return metrics.map((m) => {
      if (String(m.type) !== 'gauge' || m.name.startsWith('tsgi_')) return m;
      return { ...m, aggregator: 'sum', values: m.values.map((v) => ({ ...v, labels: { ...v.labels, pid } })) };
    });
  }
}
