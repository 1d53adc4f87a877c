import { EXIT, startWorkerRuntime } from '@tsgi/arbiter';
import type { ProxyConfig } from './config.js';
import { createLogger } from './logger.js';
import { ProxyWorker } from './proxy-worker.js';

/** The module each arbiter worker runs: one ProxyWorker fed by the master's workerData. */
const runtime = await startWorkerRuntime<{ config: ProxyConfig }>({ maxRequests: 0, maxRequestsJitter: 0, watchdogFd: 2 });
const config = runtime.data.config;
const log = createLogger(config, 'worker');
const worker = new ProxyWorker(config, log);
try {
  await worker.start();
} catch (err) {
  runtime.fail(EXIT.WORKER_BOOT_ERROR, 'PX_ERR_BIND', (err as Error).message);
}
runtime.ready({
  drain: (graceMs) => worker.drain(graceMs),
  collect: (kind) => (kind === 'metrics' ? worker.metrics.snapshot() : kind === 'upstreams' ? worker.snapshot() : null),
  flush: () => log.flush(),
});
