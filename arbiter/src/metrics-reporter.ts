import type { MetricJson, MetricsReportMessage, WorkerMetricsReport } from './metrics-ledger.js';

/** How often a worker whose counts changed pushes them to the master. */
export const METRICS_REPORT_MS = 1000;

/**
 * The worker half of MetricsLedger: answers the master's collect with
 * `{pid, metrics}`, pushes a report every second while `changes()` moves (so
 * a worker killed with -9 loses at most its last second of counts, not
 * everything since the last scrape), and sends a final one before the worker
 * exits (`report()`, awaited in drain and quit).
 */
export class MetricsReporter {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly snapshot: () => Promise<MetricJson>,
    private readonly changes: () => number,
  ) {}

  /** The collect answer for 'metrics'. */
  async collect(): Promise<WorkerMetricsReport> {
    return { pid: process.pid, metrics: await this.snapshot() };
  }

  /** Starts the periodic push (the timer never keeps the process alive). */
  start(intervalMs = METRICS_REPORT_MS): void {
    if (this.timer !== undefined) return;
    let reported = this.changes();
    this.timer = setInterval(() => {
      const now = this.changes();
      if (now === reported) return;
      reported = now;
      void this.report();
    }, intervalMs);
    this.timer.unref();
  }

  /** Sends the current counts to the master's ledger; resolves once the message is out (or there is no master). */
  async report(): Promise<void> {
    const message: MetricsReportMessage = { tsgiMetrics: await this.collect() };
    await new Promise<void>((resolve) => {
      if (!process.connected || !process.send) return resolve();
      process.send({ tsgi: 'custom', data: message }, undefined, {}, () => resolve());
    });
  }
}
