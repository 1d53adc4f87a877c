import type { InFlightRequest } from './ipc-protocol.js';

/** The signals the arbiter handles, as gunicorn's master. */
export type ArbiterSignal = 'SIGHUP' | 'SIGTERM' | 'SIGINT' | 'SIGQUIT' | 'SIGTTIN' | 'SIGTTOU' | 'SIGUSR1' | 'SIGUSR2';

export const ARBITER_SIGNALS: readonly ArbiterSignal[] = Object.freeze([
  'SIGHUP',
  'SIGTERM',
  'SIGINT',
  'SIGQUIT',
  'SIGTTIN',
  'SIGTTOU',
  'SIGUSR1',
  'SIGUSR2',
]);

/**
 * booting: forked, not yet listening. ready: serving. retiring: serving until
 * its replacement is ready (max-requests, HUP). draining: told to finish
 * in-flight work and exit. killing: timed out or stopping fast; SIGKILL follows.
 */
export type WorkerState = 'booting' | 'ready' | 'retiring' | 'draining' | 'killing';

/** Why a worker went away; the label of the restarts metric. */
export type ExitReason =
  | 'crash'
  | 'timeout'
  | 'max-requests'
  | 'memory'
  | 'reload'
  | 'scale-down'
  | 'stop'
  | 'boot-error'
  | 'app-load-error';

/** A snapshot of one worker as the master sees it. */
export interface WorkerInfo {
  /** node:cluster worker id (1, 2, ... never reused within one master). */
  readonly id: number;
  readonly pid: number;
  /** Incremented on every HUP; workers of older generations are being replaced. */
  readonly generation: number;
  readonly state: WorkerState;
  readonly spawnedAt: number;
  /** `Date.now()` of the last heartbeat (or of the spawn). */
  readonly lastBeat: number;
  readonly inFlight: number;
  /** The longest-running requests as of the last heartbeat. */
  readonly requests: readonly InFlightRequest[];
  /** Requests finished so far, as of the last heartbeat. */
  readonly served: number;
  /** Memory as of the last heartbeat (0 before the first): resident set size and V8 heap used, bytes. */
  readonly rss: number;
  readonly heapUsed: number;
}

/**
 * Memory recycling: a worker over a limit for `beats` heartbeats in a row is
 * retired as max-requests retires one (replacement ready first, then drain);
 * exit reason `memory`. Either limit may be left out (or 0).
 */
export interface MemoryLimit {
  /** Resident set size limit in bytes (what the kernel's and Kubernetes' OOM killers count). */
  maxRssBytes?: number;
  /** V8 heap used as a fraction of V8's heap limit (`heap_size_limit`), 0 < f < 1: acts before V8 dies of heap exhaustion. */
  maxHeapFraction?: number;
  /** Consecutive heartbeats over a limit before the worker is retired (default 3): a short peak is not a leak. */
  beats?: number;
}

/** A pino-compatible logger: `(fields, message)`. */
export interface ArbiterLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** What a `reload` hook may change on HUP. Omitted fields keep their value. */
export interface ArbiterReload {
  workers?: number;
  timeoutMs?: number;
  gracefulTimeoutMs?: number;
  memoryLimit?: MemoryLimit;
}

export interface ArbiterHooks {
  /** HUP: re-read config before the new generation is spawned. Throwing cancels the reload (old workers keep serving). */
  reload?(): ArbiterReload | void | Promise<ArbiterReload | void>;
  /** USR1: reopen the master's log files (workers get a `reopen-logs` message too). */
  reopenLogs?(): void;
  workerSpawned?(worker: WorkerInfo): void;
  workerReady?(worker: WorkerInfo): void;
  /** Called once per worker after it exited, with the reason it went away. */
  workerExited?(worker: WorkerInfo, reason: ExitReason, exit: { code: number | null; signal: string | null }): void;
  /** A `custom` message from a worker (see WorkerRuntime.send). */
  message?(worker: WorkerInfo, data: unknown): void;
}

export interface ArbiterOptions {
  /** Absolute path of the worker entry module (the file each worker runs). */
  workerModule: string;
  /** Node flags for workers; default: the master's `process.execArgv` (so tsx carries over). */
  execArgv?: string[];
  /** argv for workers after the module path. */
  args?: string[];
  /** Target worker count (>= 1). */
  workers: number;
  /** A worker whose heartbeat is this late is aborted, then killed. 0 disables. */
  timeoutMs: number;
  /** Drain budget for TERM, HUP, TTOU and max-requests retirement. */
  gracefulTimeoutMs: number;
  /** A worker that has not reported ready within max(timeoutMs, this) is killed. Default 30000. */
  bootTimeoutMs?: number;
  /** Retire workers that use too much memory (see MemoryLimit). Default: none. */
  memoryLimit?: MemoryLimit;
  /** After an abort (timeout) or a fast stop, SIGKILL follows this many ms later. Default 1000. */
  killGraceMs?: number;
  /**
   * How connections reach workers when they listen on the same address:
   * node:cluster round-robin (the master accepts and hands sockets out) or
   * 'shared' (all workers accept on one shared socket). Workers that bind
   * with `exclusive: true` (reusePort) bypass both. Default 'shared': a
   * worker whose loop is blocked stops accepting, while round-robin hands it
   * one more connection, which node:cluster keeps open in the master until
   * the worker acknowledges it (so it hangs even after the worker is killed).
   * Measured in the appserver README, "Socket model: measured".
   */
  scheduling?: 'round-robin' | 'shared';
  logger: ArbiterLogger;
  /** The payload each new worker receives in its init message (called at every spawn, so reloads can change it). */
  workerData?: (worker: { id: number; generation: number }) => unknown;
  /**
   * A worker that exits 3 (boot) or 4 (app load) once the workers were ready
   * and outside a reload: `'halt'` (default, gunicorn) stops the master;
   * `'wait'` (a development reloader) stops spawning until the next HUP, the
   * error logged once, the other workers serving on.
   */
  onBootFailure?: 'halt' | 'wait';
  /** Install process signal handlers (default true). Off: call `signal()` yourself. */
  handleSignals?: boolean;
  hooks?: ArbiterHooks;
}

/** How the arbiter ended: `code` is the exit code the master should use. */
export interface ArbiterExit {
  code: number;
  /** stopped: TERM/INT/QUIT; halted: workers exited 3/4; crashed: the master loop failed (exit 5). */
  reason: 'stopped' | 'halted' | 'crashed';
  /** Set when reason is 'halted' (ArbiterHaltError) or 'crashed' (ArbiterCrashError). */
  error?: Error;
}
