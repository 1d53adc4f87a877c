import { consoleFormat, prettyStreamWrite } from '@tsgi/arbiter';
import pino, { type Logger } from 'pino';
import type { ProxyConfig } from '../config/config.js';

/**
 * The proxy's logs on stdout: events at the configured level and, when
 * enabled, one access line per request (`msg: "access"`). pino JSON with
 * pino's epoch-ms `time` (as tsgi-appserver), or one human line per event when
 * the console is pretty (stdout a terminal, or LOG_FORMAT=pretty). Access lines
 * go through an async destination so logging never blocks the proxy loop.
 */
export function createLogger(config: Pick<ProxyConfig, 'logLevel'>, role: string): Logger {
  const pretty = consoleFormat(process.env, process.stdout) === 'pretty';
  return pino(
    { level: config.logLevel, base: { pid: process.pid, role }, ...(pretty ? { hooks: { streamWrite: prettyStreamWrite('proxy', process.stdout) } } : {}) },
    pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * Writes whole text lines to the logger's own destination (text access-log
 * formats): same async buffer, same order, flushed by `log.flush()` on exit.
 */
export function rawLineWriter(log: Logger): (line: string) => void {
  const dest = (log as unknown as Record<symbol, { write(s: string): unknown }>)[pino.symbols.streamSym];
  if (dest === undefined) throw new Error('pino logger without a destination stream');
  return (line) => void dest.write(`${line}\n`);
}
