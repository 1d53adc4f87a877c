import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { RequestTally } from './request-tally.js';

type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);

/**
 * One worker's metrics in its own registry (never prom-client's global one, so
 * an app's own metrics are not mixed in). The master sums all workers' with
 * AggregatorRegistry.aggregate; each metric's `aggregator` says how.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly protocolErrors: Counter<'status'>;
  /** The two per-request series, counted without prom-client on the request path. */
  private readonly tally = new RequestTally(
    { name: 'tsgi_http_requests_total', help: 'HTTP requests served, by method and status.' },
    {
      name: 'tsgi_http_request_duration_seconds',
      help: 'Time from request head parsed to response finished, by method and status.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    },
  );

  constructor(inFlight: () => number) {
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
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /** Records one finished request (status 0: the connection died before a status line). */
  observe(method: string, status: number, durationMs: number): void {
    this.tally.observe(KNOWN_METHODS.has(method) ? method : 'OTHER', status, durationMs / 1000);
  }

  protocolError(status: number): void {
    this.protocolErrors.inc({ status: String(status) });
  }

  async snapshot(): Promise<MetricJson> {
    return [...(await this.registry.getMetricsAsJSON()), ...(this.tally.toJson() as unknown as MetricJson)];
  }
}
