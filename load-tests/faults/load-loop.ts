import { Agent, request } from 'node:http';

/** Counts of one bounded load loop. */
export interface LoopCounts {
  /** Requests issued (first attempts). */
  sent: number;
  ok: number;
  /** Requests that ended in an error or a 5xx after any retry. */
  failed: number;
  /** Client-side retries: idempotent GETs re-sent once after the server closed a reused keep-alive connection. */
  retried: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  /** Latency of each request (first attempt to final answer), capped at 100k samples. */
  latenciesMs: number[];
}

export interface LoopOptions {
  port: number;
  path: string;
  concurrency: number;
  /** Hard bounds: whichever comes first. */
  maxRequests: number;
  maxMs: number;
  headers?: Record<string, string>;
}

/** A running load loop; `stop()` ends it early, `done` resolves the counts. */
export interface LoadLoop {
  done: Promise<LoopCounts>;
  stop(): void;
  counts: LoopCounts;
}

function once(agent: Agent, opts: LoopOptions): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolveReq, reject) => {
    const req = request(
      { host: '127.0.0.1', port: opts.port, path: opts.path, method: 'GET', agent, headers: opts.headers, timeout: 15_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolveReq({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
        res.on('error', reject);
        res.on('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ABORTED' })));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e) => reject(Object.assign(e, { reused: req.reusedSocket })));
    req.end();
  });
}

/**
 * A closed-loop GET load on 127.0.0.1 with keep-alive, bounded by count and
 * time. A request that fails with ECONNRESET/EPIPE on a reused connection
 * (the server closed it as we sent, as after a reload) is retried once, as
 * browsers and HTTP clients do for idempotent requests, and counted as retried.
 */
export function startLoop(opts: LoopOptions): LoadLoop {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const counts: LoopCounts = { sent: 0, ok: 0, failed: 0, retried: 0, statuses: {}, errors: {}, latenciesMs: [] };
  const deadline = Date.now() + opts.maxMs;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && counts.sent < opts.maxRequests && Date.now() < deadline) {
      counts.sent++;
      const t0 = performance.now();
      let attempt = 0;
      for (;;) {
        try {
          const r = await once(agent, opts);
          counts.statuses[r.status] = (counts.statuses[r.status] ?? 0) + 1;
          if (r.status >= 500 || r.status === 0) counts.failed++;
          else counts.ok++;
          break;
        } catch (err) {
          const e = err as NodeJS.ErrnoException & { reused?: boolean };
          const code = e.code ?? 'ERR';
          if (attempt === 0 && e.reused && (code === 'ECONNRESET' || code === 'EPIPE')) {
            attempt++;
            counts.retried++;
            continue;
          }
          counts.errors[code] = (counts.errors[code] ?? 0) + 1;
          counts.failed++;
          break;
        }
      }
      if (counts.latenciesMs.length < 100_000) counts.latenciesMs.push(performance.now() - t0);
    }
  };
  const done = Promise.all(Array.from({ length: opts.concurrency }, worker)).then(() => {
    agent.destroy();
    return counts;
  });
  return { done, counts, stop: () => { stopped = true; } };
}

/** Median of a list of numbers (0 when empty). */
export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!; // not empty: checked above
}
