import type { ArbiterLogger, ArbiterOptions, MemoryLimit } from './arbiter-types.js';
import { BackOff } from './back-off.js';
import type { ArbiterCrashError, ArbiterHaltError } from './errors.js';
import { StackDumps } from './stack-dumps.js';
import { WorkerCollector } from './worker-collect.js';
import type { ExitedWorker, WorkerRecord } from './worker-record.js';

/** A pending `start()`: settled when the first full set of workers is ready, or the master stops or halts first. */
export interface ReadyWaiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * One master's mutable state, shared by the loop (arbiter.ts), the spawner,
 * the murderer/reaper and the generation manager. Only the loop's turn
 * touches it (signal handlers and worker events merely queue and wake).
 */
export interface ArbiterState {
  readonly options: ArbiterOptions;
  readonly log: ArbiterLogger;
  /** Target worker count: TTIN/TTOU and reloads change it. */
  target: number;
  timeoutMs: number;
  gracefulTimeoutMs: number;
  memoryLimit: MemoryLimit | undefined;
  readonly killGraceMs: number;
  readonly bootTimeoutMs: number;
  /** Incremented on every HUP; new workers are spawned into the current one. */
  generation: number;
  stopping: 'graceful' | 'fast' | undefined;
  halted: ArbiterHaltError | undefined;
  /** `onBootFailure: 'wait'`: a worker could not load the app; no spawning until the next reload. */
  waitingForReload: boolean;
  /** The first full set of workers was ready once (start-up is over). */
  startedUp: boolean;
  /** Set once the loop failed: the workers are being stopped and the master exits MASTER_CRASH. */
  crashed: ArbiterCrashError | undefined;
  /** An error thrown by a hook or listener outside the loop's turn (a worker event), for the loop to handle. */
  failure: unknown;
  readonly records: Map<number, WorkerRecord>;
  /** Exit events not reaped yet. */
  readonly exited: ExitedWorker[];
  readonly backOff: BackOff;
  readonly collector: WorkerCollector;
  readonly dumps: StackDumps;
  readyWaiters: ReadyWaiter[];
  /** Ends the loop's current sleep: something needs handling now. */
  wake(): void;
  /** A worker exited: queues SIGCHLD for the loop (gunicorn's handle_chld). */
  childExited(): void;
  /** Emits one of the Arbiter's events (workerReady, workerExit, message). */
  emit(event: string, ...args: unknown[]): void;
}

export function createArbiterState(
  options: ArbiterOptions,
  wake: () => void,
  childExited: () => void,
  emit: (event: string, ...args: unknown[]) => void,
): ArbiterState {
  return {
    options,
    log: options.logger,
    target: options.workers,
    timeoutMs: options.timeoutMs,
    gracefulTimeoutMs: options.gracefulTimeoutMs,
    memoryLimit: options.memoryLimit,
    killGraceMs: options.killGraceMs ?? 1000,
    bootTimeoutMs: options.bootTimeoutMs ?? 30_000,
    generation: 1,
    stopping: undefined,
    halted: undefined,
    waitingForReload: false,
    startedUp: false,
    crashed: undefined,
    failure: undefined,
    records: new Map(),
    exited: [],
    backOff: new BackOff(100, 10_000),
    collector: new WorkerCollector(),
    dumps: new StackDumps(),
    readyWaiters: [],
    wake,
    childExited,
    emit,
  };
}

/** Settles every pending `start()` as failed. */
export function rejectReadyWaiters(s: ArbiterState, err: Error): void {
  for (const w of s.readyWaiters) w.reject(err);
  s.readyWaiters = [];
}

/**
 * Runs a hook or listener from a worker event (outside the loop's turn): a
 * throw is handed to the loop, which stops the workers and exits
 * MASTER_CRASH, instead of becoming an uncaught exception that kills the
 * master and leaves its workers running.
 */
export function guarded(s: ArbiterState, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    s.failure ??= err;
    s.wake();
  }
}
