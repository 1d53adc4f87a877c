import autocannon from 'autocannon';
import { LatencyHistogram } from './histogram.js';

/** One bounded load stage: it stops at `durationS` or after `maxRequests`, whichever comes first. */
export interface StageSpec {
  url: string;
  connections: number;
  durationS: number;
  maxRequests: number;
  pipelining?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Per-request timeout in seconds. */
  timeoutS?: number;
  /**
   * Open model: requests per second over all connections, constant (`from === to`)
   * or ramped in RAMP_STEPS equal steps. Undefined: closed model (each connection
   * sends its next request when the last one is answered).
   */
  rate?: { from: number; to: number };
}

/** Steps of a ramping rate: each holds its rate for durationS / RAMP_STEPS. */
export const RAMP_STEPS = 5;

/** What one stage measured. */
export interface StageResult {
  /** Responses received (any status). */
  responses: number;
  /** Responses with a 2xx status. */
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts (requests that got no response). */
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  bytes: number;
  durationS: number;
  histogram: LatencyHistogram;
}

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/;

/** Runs one stage (a ramp as its steps, merged) and records every response's latency in an HDR histogram. */
export async function runStage(spec: StageSpec): Promise<StageResult> {
  const rate = spec.rate;
  if (rate === undefined || rate.from === rate.to) return runFixedStage(spec, rate?.from);
  const steps: StageResult[] = [];
  let left = spec.maxRequests;
  for (let i = 0; i < RAMP_STEPS && left > 0; i++) {
    const r = rate.from + ((rate.to - rate.from) * i) / (RAMP_STEPS - 1);
    const step = await runFixedStage({ ...spec, durationS: spec.durationS / RAMP_STEPS, maxRequests: left }, r);
    left -= step.responses + step.errors;
    steps.push(step);
  }
  return mergeStages(steps, 'in sequence');
}

/**
 * One stage over several origins at once (the proxy replicas' published ports), as a
 * cloud load balancer spreads connections over replicas: the connections, the request
 * cap and the rate are split evenly, each origin gets its own share, and the results
 * are merged into one stage. With fewer connections than origins, the first origins get
 * one each and the rest none, as a balancer with that few connections would.
 */
export async function runStageOver(origins: readonly string[], spec: Omit<StageSpec, 'url'>): Promise<StageResult> {
  if (origins.length === 1) return runStage({ ...spec, url: origins[0]! });
  const n = Math.min(origins.length, Math.max(1, spec.connections));
  const share = (total: number, i: number): number => Math.floor(total / n) + (i < total % n ? 1 : 0);
  const parts = await Promise.all(
    origins.slice(0, n).map((url, i) =>
      runStage({
        ...spec,
        url,
        connections: share(spec.connections, i),
        maxRequests: Math.max(1, share(spec.maxRequests, i)),
        ...(spec.rate ? { rate: { from: spec.rate.from / n, to: spec.rate.to / n } } : {}),
      }),
    ),
  );
  return mergeStages(parts, 'side by side');
}

/** Merges stages run one after another (a ramp's steps) or side by side (one per origin). */
function mergeStages(steps: StageResult[], how: 'in sequence' | 'side by side'): StageResult {
  const histogram = new LatencyHistogram();
  const statusCounts: Record<string, number> = {};
  const out: StageResult = { responses: 0, ok: 0, non2xx: 0, errors: 0, timeouts: 0, statusCounts, bytes: 0, durationS: 0, histogram };
  for (const s of steps) {
    out.responses += s.responses;
    out.ok += s.ok;
    out.non2xx += s.non2xx;
    out.errors += s.errors;
    out.timeouts += s.timeouts;
    out.bytes += s.bytes;
    out.durationS = how === 'in sequence' ? out.durationS + s.durationS : Math.max(out.durationS, s.durationS);
    histogram.add(s.histogram);
    for (const [k, v] of Object.entries(s.statusCounts)) statusCounts[k] = (statusCounts[k] ?? 0) + v;
  }
  return out;
}

/**
 * One autocannon run. With a rate, autocannon paces requests to it, and each
 * latency is recorded with the interval each connection was meant to keep
 * (HDR's coordinated-omission correction): a response that took 10 intervals
 * also stands for the 9 requests the stalled connection did not send.
 */
function runFixedStage(spec: StageSpec, rate: number | undefined): Promise<StageResult> {
  if (!LOOPBACK.test(spec.url)) {
    // The runner only ever loads the machine it runs on.
    return Promise.reject(new Error(`load-tests: refusing to load a non-loopback URL: ${spec.url}`));
  }
  const histogram = new LatencyHistogram();
  const connections = Math.max(1, Math.min(spec.connections, spec.maxRequests));
  // autocannon lowers the connection count to the rate when the rate is smaller.
  const expectedIntervalMs = rate !== undefined ? (Math.max(1, Math.min(connections, Math.floor(rate))) * 1000) / rate : undefined;
  let bytes = 0;
  const started = process.hrtime.bigint();
  return new Promise((resolveStage, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections,
        pipelining: spec.pipelining ?? 1,
        duration: spec.durationS,
        maxOverallRequests: spec.maxRequests,
        ...(rate !== undefined ? { overallRate: rate } : {}),
        timeout: spec.timeoutS ?? 10,
        method: spec.method ?? 'GET',
        headers: spec.headers,
        body: spec.body,
      },
      (err, result) => {
        if (err) {
          reject(err);
          return;
        }
        const statusCounts: Record<string, number> = {};
        for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = v.count;
        const responses = Object.values(statusCounts).reduce((a, b) => a + b, 0);
        resolveStage({
          responses,
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCounts,
          bytes,
          durationS: Number(process.hrtime.bigint() - started) / 1e9,
          histogram,
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, resBytes: number, responseTime: number) => {
      if (expectedIntervalMs === undefined) histogram.recordMs(responseTime);
      else histogram.recordCorrectedMs(responseTime, expectedIntervalMs);
      bytes += resBytes;
    });
  });
}
