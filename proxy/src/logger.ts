import pino, { type Logger } from 'pino';
import type { ProxyConfig } from './config.js';

/**
 * The proxy's JSON logs on stdout: events at the configured level and, when
 * enabled, one access line per request (`msg: "access"`). Access lines go
 * through an async destination so logging never blocks the proxy loop.
 */
export function createLogger(config: Pick<ProxyConfig, 'logLevel'>, role: string): Logger {
  return pino(
    { level: config.logLevel, base: { pid: process.pid, role }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 1, sync: false }),
  );
}
