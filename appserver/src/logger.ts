import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { consoleFormat, prettyStreamWrite } from '@tsgi/arbiter';
import pino, { type Logger, type LoggerOptions } from 'pino';
import { messageOf, asError } from '@tsgi/errors';
import type { AppserverConfig } from './config.js';

/** pino's file destination (sonic-boom): reopen, flushSync, and 'error' events. */
type Destination = ReturnType<typeof pino.destination>;

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

/** A log file's stream, or `stdFd` when the target is '-' or (noted in `fallback`) the file cannot be opened now. */
function destination(target: string, stdFd: number, sync: boolean): { dest: Destination; fallback?: Error } {
  const open = (dest: string | number): Destination =>
    pino.destination({ dest, sync, mkdir: typeof dest === 'string', append: true });
  if (target === '-') return { dest: open(stdFd) };
  try {
    // Checked here too for the async access log, whose open error would come later as an 'error' event.
    if (!sync) {
      mkdirSync(dirname(target), { recursive: true });
      closeSync(openSync(target, 'a'));
    }
    return { dest: open(target) };
  } catch (err) {
    // The master checked the file before starting (exit 2); it went bad since: a replacement worker logs to its std stream rather than failing to boot.
    return { dest: open(stdFd), fallback: asError(err) };
  }
}

/**
 * Keeps a log's write or reopen failure (a rotated file's directory gone, a
 * full disk) from becoming an unhandled 'error' event that killed the master
 * or the worker: `report` says what happened, the old file stays in use.
 */
/** The destination's file descriptor once open (sonic-boom's `fd`, which its d.ts leaves out). */
function fdOf(dest: Destination): number | undefined {
  const fd: unknown = Reflect.get(dest, 'fd');
  return typeof fd === 'number' && fd > 0 ? fd : undefined;
}

function survive(dest: Destination, report: (err: Error) => void): void {
  // pino's own listener re-emits the first error once more while this one is already queued: report each error once.
  let last: Error | undefined;
  dest.on('error', (err: Error) => {
    if (err !== last) report(err);
    last = err;
  });
}

/** The console's tier name: the label of every human line. */
const TIER = 'app';

/**
 * pino options that print a std stream (error or access log '-') as human
 * lines when the console is pretty (a terminal, or LOG_FORMAT=pretty); log
 * files and the JSON console get none, so their path is what it always was.
 */
function consoleHooks(target: string, stream: NodeJS.WriteStream): Pick<LoggerOptions, 'hooks'> {
  if (target !== '-' || consoleFormat(process.env, process.stdout) !== 'pretty') return {};
  return { hooks: { streamWrite: prettyStreamWrite(TIER, stream) } };
}

/**
 * The master's announcements on stdout ("Listening at", "Metrics at",
 * "Ready"): always printed, whatever --log-level, once each; JSON or human as
 * the console is.
 */
export function createAnnouncer(): Logger {
  return pino({ base: { pid: process.pid, role: 'master' }, ...consoleHooks('-', process.stdout) }, pino.destination({ dest: 1, sync: true }));
}

export function createLogs(config: Pick<AppserverConfig, 'errorLogfile' | 'accessLogfile' | 'logLevel' | 'logFormat'>, role: string): Logs {
  // The error log is low volume: sync writes so nothing is lost on a crash.
  const errorOut = destination(config.errorLogfile, 2, true);
  const errorDest = errorOut.dest;
  const error = pino(
    { level: LEVELS[config.logLevel], base: { pid: process.pid, role }, ...consoleHooks(config.errorLogfile, process.stderr) },
    errorDest,
  );
  survive(errorDest, (err) => process.stderr.write(`tsgi-appserver: error log ${config.errorLogfile}: ${err.message}\n`));
  if (errorOut.fallback) error.error({ err: errorOut.fallback }, `cannot open error log ${config.errorLogfile}, logging to stderr: ${errorOut.fallback.message}`);
  let accessDest: Destination | undefined;
  let accessFallback = false;
  let access: Logs['access'];
  if (config.accessLogfile) {
    const accessOut = destination(config.accessLogfile, 1, false);
    accessDest = accessOut.dest;
    accessFallback = accessOut.fallback !== undefined;
    survive(accessDest, (err) => error.error({ err }, `access log ${config.accessLogfile}: ${err.message}`));
    if (accessOut.fallback) error.error({ err: accessOut.fallback }, `cannot open access log ${config.accessLogfile}, logging to stdout: ${accessOut.fallback.message}`);
    if (config.logFormat === 'text') {
      const d = accessDest;
      access = (line) => void d.write(`${line}\n`);
    } else {
      const accessLogger = pino({ base: { pid: process.pid }, ...consoleHooks(config.accessLogfile, process.stdout) }, accessDest);
      access = (line) => accessLogger.info(line);
    }
  }
  const reopen = (dest: Destination, file: string, what: string): void => {
    try {
      dest.reopen();
    } catch (err) {
      // A sync reopen throws as well as emitting 'error': the previous file stays open and in use.
      error.error({ err }, `cannot reopen ${what} ${file}, still writing to the previous file: ${messageOf(err)}`);
    }
  };
  return {
    error,
    access,
    errorFd: fdOf(errorDest) ?? 2,
    reopen() {
      if (config.errorLogfile !== '-' && !errorOut.fallback) reopen(errorDest, config.errorLogfile, 'error log');
      if (accessDest && config.accessLogfile !== '-' && !accessFallback) reopen(accessDest, config.accessLogfile!, 'access log');
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
