import type { ProxyConfig } from './config.js';
import type { UpstreamGroup } from './upstream-group.js';
import type { Endpoint } from './endpoint.js';
import type { ProxyErrorCode } from './errors.js';

/** One finished request, for the access log and metrics. */
export interface ExchangeRecord {
  method: string;
  target: string;
  host: string;
  remote: string;
  status: number;
  group: string;
  endpoint: string;
  attempts: number;
  durationMs: number;
  bytesOut: number;
  error: ProxyErrorCode | null;
}

/**
 * What a client connection needs from its worker: the current config and
 * routes (swapped atomically on reload), trust decisions, and the sinks for
 * records, retries and ejections.
 */
export interface ProxyContext {
  config: ProxyConfig;
  route(host: string, target: string): UpstreamGroup | null;
  isTrusted(peer: string): boolean;
  draining: boolean;
  onRecord(record: ExchangeRecord): void;
  onRetry(group: string, reason: ProxyErrorCode | 'status'): void;
  onUpstreamFailure(ep: Endpoint, code: ProxyErrorCode | 'status'): void;
  /** Connection bookkeeping for timeouts and drain. */
  connections: Set<{ deadline: number; onTimeout(now: number): void; closeIfIdle(): boolean }>;
}
