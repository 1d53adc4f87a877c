import { Counter, Gauge, Registry } from 'prom-client';
import type { Arbiter } from '../arbiter.js';
import type { ExitReason, WorkerInfo } from '../arbiter-types.js';
import { registerDefaultMetrics } from '../default-metrics.js';
import { MetricsLedger, type MetricJson } from '../metrics-ledger.js';

/**
 * A master's metrics: its own (worker counts by state, the target, workers
 * gone by reason, its process metrics, so `process_start_time_seconds` is the
 * master's start) plus the workers', collected over IPC on each scrape and
 * kept in a MetricsLedger so counters never go down when workers come and go.
 */
export class MasterMetrics {
  readonly registry = new Registry();
  private readonly restarts: Counter<'reason'>;
  private readonly ledger: MetricsLedger;

  constructor(
    private readonly arbiter: () => Arbiter | undefined,
    options: { summedGauge?: (name: string) => boolean } = {},
  ) {
    this.ledger = new MetricsLedger({ summedGauge: options.summedGauge });
    this.restarts = new Counter({
      name: 'tsgi_worker_restarts_total',
      help: 'Workers that went away, by reason (crash, timeout, max-requests, memory, reload, scale-down, stop, ...).',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    for (const reason of ['crash', 'timeout', 'max-requests', 'memory', 'reload'] as const) this.restarts.inc({ reason }, 0);
    new Gauge({
      name: 'tsgi_workers',
      help: 'Live worker processes, by state.',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const counts: Record<string, number> = { booting: 0, ready: 0, retiring: 0, draining: 0, killing: 0 };
        for (const w of arbiter()?.workers ?? []) counts[w.state] = (counts[w.state] ?? 0) + 1;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    registerDefaultMetrics(this.registry);
    new Gauge({
      name: 'tsgi_workers_target',
      help: 'Worker count the master maintains (changed by TTIN/TTOU and reloads).',
      registers: [this.registry],
      collect() {
        this.set(arbiter()?.workerTarget ?? 0);
      },
    });
  }

  workerSpawned(worker: WorkerInfo): void {
    this.ledger.spawned(worker.pid);
  }

  workerExited(worker: WorkerInfo, reason: ExitReason): void {
    this.restarts.inc({ reason });
    this.ledger.retire(worker.pid);
  }

  /** A worker's `custom` message: true when it was a metrics report (a scrape's answer or its last words). */
  workerMessage(data: unknown): boolean {
    return this.ledger.recordMessage(data);
  }

  async render(): Promise<{ body: string; contentType: string }> {
    // A worker that misses the collect keeps its previous report: its counters must not drop out of the sum.
    await this.ledger.collect(this.arbiter(), 1000);
    const own = (await this.registry.getMetricsAsJSON()) as MetricJson;
    const merged = this.ledger.render(own);
    return { body: await merged.metrics(), contentType: merged.contentType };
  }
}
