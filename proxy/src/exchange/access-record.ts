import type { ProxyErrorCode } from '../errors.js';
import type { ExchangeRecord } from '../route/proxy-context.js';

/** The access-log record of a request refused before routing (nothing about it is trusted enough to log). */
export function refusalRecord(remote: string, status: number, error: ProxyErrorCode): ExchangeRecord {
  return { method: '-', target: '-', host: '-', remote, status, group: '-', endpoint: '-', attempts: 0, durationMs: 0, bytesOut: 0, error, traceId: '-', requestId: '-' };
}
