import { Counter, Gauge, Registry } from 'prom-client';
import { registerDefaultMetrics, type MetricJson } from '@tsgi/arbiter';
import { RequestTally } from './request-tally.js';
import { RouteLabels } from './route-labels.js';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);

/** Worker gauges that add up over workers; every other gauge is per process (labelled `pid` by the master). */
export const SUMMED_GAUGES: ReadonlySet<string> = new Set(['tsgi_http_requests_in_flight', 'tsgi_upgraded_connections']);

/**
 * One worker's metrics in its own registry (never prom-client's global one, so
 * an app's own metrics are not mixed in). The master merges them
 * (@tsgi/arbiter's MetricsLedger): counters and histograms sum, also over exited workers.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly protocolErrors: Counter<'status'>;
  private readonly upgrades: Counter;
  /** Bumped on every counted event: the periodic report to the master is skipped while nothing changed. */
  changes = 0;
  /** The two per-request series, counted without prom-client on the request path. */
  private readonly tally = new RequestTally(
    { name: 'tsgi_http_requests_total', help: 'HTTP requests served, by method, status and matched route rule.' },
    {
      name: 'tsgi_http_request_duration_seconds',
      help: 'Time from request head parsed to response finished, by method, status and matched route rule.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    },
  );
  private readonly routes = new RouteLabels();

  constructor(inFlight: () => number, upgradedOpen: () => number) {
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

  /**
   * Records one finished request (status 0: the connection died before a
   * status line); `route` is the rule the app matched (`tsgi.route`), bounded here.
   */
  observe(method: string, status: number, durationMs: number, route: unknown): void {
    this.changes++;
    this.tally.observe(KNOWN_METHODS.has(method) ? method : 'OTHER', status, durationMs / 1000, this.routes.label(route));
  }

  upgrade(): void {
    this.changes++;
    this.upgrades.inc();
  }

  protocolError(status: number): void {
    this.changes++;
    this.protocolErrors.inc({ status: String(status) });
  }

  async snapshot(): Promise<MetricJson> {
    return [...(await this.registry.getMetricsAsJSON()), ...(this.tally.toJson() as unknown as MetricJson)];
  }
}
