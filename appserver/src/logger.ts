import pino, { type DestinationStream, type Logger } from 'pino';
import type { AppserverConfig } from './config.js';

type Destination = DestinationStream & { reopen(file?: string): void; flushSync(): void; fd?: number };

const LEVELS: Record<AppserverConfig['logLevel'], string> = {
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
};

/** The error log (JSON, pid on every line) and the optional access log, both reopenable on USR1. */
export interface Logs {
  error: Logger;
  /** Writes one formatted access line (JSON-wrapped unless --log-format text); undefined when disabled. */
  access: ((line: string) => void) | undefined;
  /** The error log's file descriptor (for the loop watchdog). */
  errorFd: number;
  reopen(): void;
  flush(): void;
}

function destination(target: string, stdFd: number, sync: boolean): Destination {
  const dest = target === '-' ? stdFd : target;
  return pino.destination({ dest, sync, mkdir: target !== '-', append: true }) as unknown as Destination;
}

export function createLogs(config: Pick<AppserverConfig, 'errorLogfile' | 'accessLogfile' | 'logLevel' | 'logFormat'>, role: string): Logs {
  // The error log is low volume: sync writes so nothing is lost on a crash.
  const errorDest = destination(config.errorLogfile, 2, true);
  const error = pino({ level: LEVELS[config.logLevel], base: { pid: process.pid, role } }, errorDest);
  let accessDest: Destination | undefined;
  let access: Logs['access'];
  if (config.accessLogfile) {
    accessDest = destination(config.accessLogfile, 1, false);
    if (config.logFormat === 'text') {
      const d = accessDest as unknown as { write(s: string): void };
      access = (line) => d.write(`${line}\n`);
    } else {
      const accessLogger = pino({ base: { pid: process.pid } }, accessDest);
      access = (line) => accessLogger.info(line);
    }
  }
  return {
    error,
    access,
    errorFd: typeof errorDest.fd === 'number' && errorDest.fd > 0 ? errorDest.fd : 2,
    reopen() {
      if (config.errorLogfile !== '-') errorDest.reopen();
      if (accessDest && config.accessLogfile !== '-') accessDest.reopen();
    },
    flush() {
      try {
        accessDest?.flushSync();
      } catch {
        // Nothing buffered or the fd is gone.
      }
    },
  };
}
