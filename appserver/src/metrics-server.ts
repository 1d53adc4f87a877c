import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { MetricsLedger, registerDefaultMetrics, type Arbiter, type ExitReason, type MetricJson, type WorkerInfo } from '@tsgi/arbiter';
import { SUMMED_GAUGES } from './worker-metrics.js';

/**
 * The master's metrics: its own (worker counts, restarts by reason, its
 * process metrics, so `process_start_time_seconds` is the master's start)
 * plus the workers', collected over IPC on each scrape and kept in a
 * MetricsLedger so counters never go down when workers come and go.
 */
export class MasterMetrics {
  readonly registry = new Registry();
  private readonly restarts: Counter<'reason'>;
  private readonly ledger = new MetricsLedger({ summedGauge: (name) => SUMMED_GAUGES.has(name) });

  constructor(arbiter: () => Arbiter | undefined) {
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

  workerExited(worker: WorkerInfo, reason: ExitReason): void {
    this.restarts.inc({ reason });
    this.ledger.retire(worker.pid);
  }

  workerSpawned(worker: WorkerInfo): void {
    this.ledger.spawned(worker.pid);
  }

  /** A worker's `custom` message: its final metrics report, sent right before it exits. */
  workerMessage(data: unknown): void {
    this.ledger.recordMessage(data);
  }

  async render(arbiter: Arbiter | undefined): Promise<{ body: string; contentType: string }> {
    // A worker that misses the collect keeps its previous report: its counters must not drop out of the sum.
    await this.ledger.collect(arbiter, 1000);
    const own = (await this.registry.getMetricsAsJSON()) as MetricJson;
    const merged = this.ledger.render(own);
    return { body: await merged.metrics(), contentType: merged.contentType };
  }
}

/**
 * `/metrics`, `/healthz` (the master loop is alive and a worker has booted at least once since it started: a startup
 * probe waits for that, a liveness probe then sees 200 through reloads and drains) and `/readyz` (a worker serves and
 * nothing is draining).
 */
export function createMetricsServer(
  metrics: MasterMetrics,
  arbiter: () => Arbiter | undefined,
  draining: () => boolean,
  everBooted: () => boolean,
): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      metrics.render(arbiter()).then(
        ({ body, contentType }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics: ${err.message}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      const booted = everBooted();
      res.writeHead(booted ? 200 : 503, { 'content-type': 'application/json' }).end(booted ? '{"status":"ok"}\n' : '{"status":"starting"}\n');
      return;
    }
    if (path === '/readyz') {
      const a = arbiter();
      const ready = a !== undefined && a.ready && !draining();
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ready, workers: a?.workers.filter((w) => w.state === 'ready').length ?? 0, draining: draining() }) + '\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz, /readyz\n');
  });
}
