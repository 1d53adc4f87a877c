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
}

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

/** Runs one stage with autocannon and records every response's latency in an HDR histogram. */
export function runStage(spec: StageSpec): Promise<StageResult> {
  if (!LOOPBACK.test(spec.url)) {
    // The runner only ever loads the machine it runs on.
    return Promise.reject(new Error(`load-tests: refusing to load a non-loopback URL: ${spec.url}`));
  }
  const histogram = new LatencyHistogram();
  let bytes = 0;
  const started = process.hrtime.bigint();
  return new Promise((resolveStage, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: Math.max(1, Math.min(spec.connections, spec.maxRequests)),
        pipelining: spec.pipelining ?? 1,
        duration: spec.durationS,
        maxOverallRequests: spec.maxRequests,
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
      histogram.recordMs(responseTime);
      bytes += resBytes;
    });
  });
}
