import { ArbiterError, EXIT, MetricsReporter, startWorkerRuntime, waitForPortRelease } from '@tsgi/arbiter';
import { messageOf } from '@tsgi/errors';
import type { ProxyConfig } from '../config/config.js';
import { createLogger } from './logger.js';
import { ProxyWorker } from './proxy-worker.js';
import { OVERRIDES_REQUEST, isOverridesMessage, type EndpointOverride } from '../upstream/endpoint-overrides.js';

/** The module each arbiter worker runs: one ProxyWorker fed by the master's workerData. */
const runtime = await startWorkerRuntime<{ config: ProxyConfig; awaitPortRelease: boolean; overrides: EndpointOverride[] }>({ maxRequests: 0, maxRequestsJitter: 0, watchdogFd: 2 });
const config = runtime.data.config;
const log = createLogger(config, 'worker');
const worker = new ProxyWorker(config, log);
worker.setOverrides(runtime.data.overrides);
try {
  // The master holds port-0 picks until a worker is about to listen: node:cluster binds in the master.
  await worker.start({ beforeListen: runtime.data.awaitPortRelease ? () => waitForPortRelease((d) => runtime.sendCustom(d)) : undefined });
} catch (err) {
  // A bind failure, or traces asked for without the OpenTelemetry packages (ARB_ERR_TRACING_UNAVAILABLE).
  runtime.fail(EXIT.WORKER_BOOT_ERROR, err instanceof ArbiterError ? err.code : 'PX_ERR_BIND', messageOf(err));
}
// The master's MetricsLedger keeps counters from going back: a report each second while counts change and a final
// one before exiting, so a worker killed with -9 loses at most its last second of counts.
const reporter = new MetricsReporter(() => worker.metrics.snapshot(), () => worker.metrics.changes);
if (config.admin.address !== null) reporter.start();
runtime.ready({
  drain: async (graceMs) => {
    await worker.drain(graceMs);
    await reporter.report();
  },
  quit: () => reporter.report(),
  collect: (kind) => (kind === 'metrics' ? reporter.collect() : kind === 'upstreams' ? worker.snapshot() : null),
  flush: () => log.flush(),
  message: (data) => {
    if (isOverridesMessage(data)) worker.setOverrides(data.list);
  },
});
// An override set while this worker booted reached it before it listened for messages: ask for the current list.
runtime.sendCustom(OVERRIDES_REQUEST);
