import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's default process and Node metrics, less the gauges it names
 * with a `_total` suffix (`nodejs_active_handles_total`, ..._requests_total,
 * ..._resources_total): Prometheus reserves `_total` for counters and
 * `promtool check metrics` rejects them. The same numbers stay available by
 * type in `nodejs_active_handles{type}`, `nodejs_active_requests{type}`.
 */
export function registerDefaultMetrics(registry: Registry, options: { eventLoopMonitoringPrecision?: number } = {}): void {
  collectDefaultMetrics({ register: registry, ...options });
  for (const metric of registry.getMetricsAsArray()) {
    const m = metric as unknown as { name: string; type?: string };
    if (m.name.endsWith('_total') && m.type !== 'counter') registry.removeSingleMetric(m.name);
  }
}
