import { Counter, Gauge, Registry } from 'prom-client';
import { registerDefaultMetrics, type MetricJson } from '@tsgi/arbiter';
import { RequestStats } from './request-stats.js';
import type { UpstreamGroup } from '../upstream/upstream-group.js';

/** The proxy's own gauges add up over workers (`endpoint_healthy` reads as "workers that consider it healthy"). */
export const isSummedGauge = (name: string): boolean => name.startsWith('tsgi_proxy_');

/**
 * One proxy worker's metrics in its own registry. With several workers the
 * master's MetricsLedger (@tsgi/arbiter) merges every worker's reports:
 * counters and histograms sum, also over exited workers; the per-endpoint
 * gauges sum (isSummedGauge); process and Node gauges carry `pid`.
 */
export class ProxyMetrics {
  readonly registry = new Registry();
  private readonly stats: RequestStats;
  private readonly retries: Counter<'upstream' | 'reason'>;
  private readonly ejections: Counter<'upstream' | 'endpoint'>;
  private readonly failures: Counter<'upstream' | 'endpoint' | 'reason'>;
  private readonly resolveFailures: Counter<'upstream' | 'reason'>;
  /** Bumped on every request, retry, failure and ejection: the periodic report to the master is skipped while nothing changed. */
  changes = 0;

  constructor(groups: () => Iterable<UpstreamGroup>, activeConnections: () => number, heldBodyBytes: () => number) {
    const registers = [this.registry];
    this.stats = new RequestStats(this.registry);
    this.retries = new Counter({ name: 'tsgi_proxy_retries_total', help: 'Attempts retried on another endpoint, by reason.', labelNames: ['upstream', 'reason'], registers });
    this.ejections = new Counter({ name: 'tsgi_proxy_ejections_total', help: 'Passive-health ejections.', labelNames: ['upstream', 'endpoint'], registers });
    this.failures = new Counter({ name: 'tsgi_proxy_upstream_failures_total', help: 'Failed upstream attempts, by reason.', labelNames: ['upstream', 'endpoint', 'reason'], registers });
    this.resolveFailures = new Counter({
      name: 'tsgi_proxy_dns_failures_total',
      help: 'Failed resolutions of upstream names, by reason (nxdomain, nodata, servfail, timeout, refused, temporary, error).',
      labelNames: ['upstream', 'reason'],
      registers,
    });
    new Gauge({
      name: 'tsgi_proxy_endpoint_healthy',
      help: 'Proxy workers in which the endpoint takes traffic (not ejected, passing active checks): 1 per worker, 0 when out in all.',
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
    new Gauge({
      name: 'tsgi_proxy_request_body_held_bytes',
      help: 'Request body bytes read at the edge and not yet forwarded (requestBody.maxBuffered caps them per worker).',
      registers,
      collect() {
        this.set(heldBodyBytes());
      },
    });
    new Gauge({
      name: 'tsgi_proxy_request_body_streams',
      help: 'Request bodies streaming to the upstream group now (bodyStreams.max caps them per worker).',
      labelNames: ['upstream'],
      registers,
      collect() {
        this.reset();
        for (const g of groups()) this.set({ upstream: g.name }, g.bodyStreams.active);
      },
    });
    registerDefaultMetrics(this.registry);
  }

  request(group: string, status: number, durationMs: number): void {
    this.changes++;
    this.stats.record(group, status, durationMs);
  }

  retry(group: string, reason: string): void {
    this.changes++;
    this.retries.inc({ upstream: group, reason });
  }

  ejection(group: string, endpoint: string): void {
    this.changes++;
    this.ejections.inc({ upstream: group, endpoint });
  }

  failure(group: string, endpoint: string, reason: string): void {
    this.changes++;
    this.failures.inc({ upstream: group, endpoint, reason });
  }

  resolveFailure(group: string, reason: string): void {
    this.changes++;
    this.resolveFailures.inc({ upstream: group, reason });
  }

  /** This worker's metrics for the master's MetricsLedger, which labels per-process gauges with `pid`. */
  snapshot(): Promise<MetricJson> {
    return this.registry.getMetricsAsJSON();
  }
}
