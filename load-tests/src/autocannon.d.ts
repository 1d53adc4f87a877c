// autocannon ships no type declarations; this declares the part the runner uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface AutocannonOptions {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
    maxOverallRequests?: number;
    /** Requests per second over all connections (autocannon paces to it). */
    overallRate?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    workers?: number;
    excludeErrorStats?: boolean;
    skipAggregateResult?: boolean;
  }

  interface AutocannonResult {
    requests: { average: number; total: number; sent: number };
    /** Milliseconds; autocannon also reports other percentiles (p0_001 … p99_999). */
    latency: { average: number; mean: number; stddev: number; min: number; max: number; p50: number; p90: number; p97_5: number; p99: number; p99_9: number };
    throughput: { average: number; total: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    duration: number;
    statusCodeStats: Record<string, { count: number }>;
    '1xx': number;
    '2xx': number;
    '3xx': number;
    '4xx': number;
    '5xx': number;
  }

  interface Instance extends EventEmitter {
    stop(): void;
  }

  function autocannon(
    options: AutocannonOptions,
    cb: (err: Error | null, result: AutocannonResult) => void,
  ): Instance;
  /** Without a callback the instance is also a promise of the result. */
  function autocannon(options: AutocannonOptions): Instance & PromiseLike<AutocannonResult>;

  export default autocannon;
  export type { AutocannonOptions, AutocannonResult, Instance };
}
