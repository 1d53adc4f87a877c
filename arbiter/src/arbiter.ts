import cluster from 'node:cluster';
import { EventEmitter } from 'node:events';
import { createArbiterState, rejectReadyWaiters, type ArbiterState } from './arbiter-state.js';
import { ARBITER_SIGNALS, type ArbiterExit, type ArbiterOptions, type ArbiterSignal, type WorkerInfo } from './arbiter-types.js';
import { ArbiterCrashError, ArbiterError, ArbiterUsageError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { heartbeatPeriod, type StackDump } from './ipc-protocol.js';
import { SignalQueue, type QueuedSignal } from './signal-queue.js';
import { manageWorkers, reload } from './worker-generations.js';
import { murderWorkers, reapWorkers } from './worker-reaper.js';
import { drainWorker, killWorker, sendToWorker, signalWorker, workerInfo } from './worker-record.js';

type Handler = 'handleHup' | 'handleTerm' | 'handleInt' | 'handleQuit' | 'handleTtin' | 'handleTtou' | 'handleUsr1' | 'handleUsr2' | 'handleChld';

/** gunicorn's `SIG_NAMES` → `handle_<name>` dispatch. */
const HANDLERS: Readonly<Record<QueuedSignal, Handler>> = Object.freeze({
  SIGHUP: 'handleHup',
  SIGTERM: 'handleTerm',
  SIGINT: 'handleInt',
  SIGQUIT: 'handleQuit',
  SIGTTIN: 'handleTtin',
  SIGTTOU: 'handleTtou',
  SIGUSR1: 'handleUsr1',
  SIGUSR2: 'handleUsr2',
  SIGCHLD: 'handleChld',
});

/**
 * gunicorn's arbiter for Node: a pre-fork master over node:cluster that knows
 * nothing about HTTP or TSGI. Signal handlers only queue; one loop takes each
 * queued signal to its `handle<Name>` method, then murders workers whose
 * heartbeat is late, reaps the dead and spawns back to the target with
 * back-off. Workers exiting with 3 (boot error) or 4 (app load error) halt
 * it; a failure of the loop itself (a throwing hook, a failed fork) stops the
 * workers and ends it with MASTER_CRASH. Workers run `startWorkerRuntime`.
 */
export class Arbiter extends EventEmitter {
  // The loop's parts (worker-spawner, worker-reaper, worker-generations) share this state.
  private readonly s: ArbiterState;
  private readonly queue = new SignalQueue();
  private started = false;
  private finished = false;
  private wakeUp: (() => void) | undefined;
  private readonly signalHandlers = new Map<ArbiterSignal, () => void>();
  private resolveDone!: (exit: ArbiterExit) => void;
  /** Resolves once, when the master loop ends (all workers gone). */
  readonly done: Promise<ArbiterExit>;

  constructor(options: ArbiterOptions) {
    super();
    if (!cluster.isPrimary) throw new ArbiterUsageError('Arbiter must run in the primary process');
    this.s = createArbiterState(
      options,
      () => this.wake(),
      () => this.enqueue('SIGCHLD'),
      (event, ...args) => this.emit(event, ...args),
    );
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Target worker count. */
  get workerTarget(): number {
    return this.s.target;
  }

  /**
   * Sets the target worker count (>= 1), as that many TTINs or TTOUs would:
   * the loop spawns or drains (oldest first) to reach it. Ignored once stopping.
   */
  setWorkerTarget(workers: number): void {
    const s = this.s;
    if (s.stopping || !Number.isInteger(workers) || workers < 1) return;
    s.target = workers;
    s.log.info({ workers: s.target }, 'worker target set');
    this.wake();
  }

  /** Snapshots of the live workers. */
  get workers(): WorkerInfo[] {
    return [...this.s.records.values()].map(workerInfo);
  }

  /** True while at least one worker is ready and no stop has begun (readiness probe). */
  get ready(): boolean {
    if (this.s.stopping || this.s.halted || this.s.crashed) return false;
    for (const r of this.s.records.values()) if (r.state === 'ready' || r.state === 'retiring') return true;
    return false;
  }

  get isStopping(): boolean {
    return this.s.stopping !== undefined;
  }

  /** Forks the initial workers and runs the loop; resolves when `workers` workers are ready. */
  start(): Promise<void> {
    if (this.started) throw new ArbiterUsageError('Arbiter already started');
    this.started = true;
    const options = this.s.options;
    cluster.schedulingPolicy = options.scheduling === 'round-robin' ? cluster.SCHED_RR : cluster.SCHED_NONE;
    cluster.setupPrimary({
      exec: options.workerModule,
      execArgv: options.execArgv ?? process.execArgv,
      args: options.args ?? [],
      // fd 4: the report pipe a worker's watchdog thread writes to when its loop (and so its IPC) is blocked.
      stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'],
    });
    if (options.handleSignals !== false) {
      for (const sig of ARBITER_SIGNALS) {
        const handler = (): void => this.signal(sig);
        this.signalHandlers.set(sig, handler);
        process.on(sig, handler);
      }
    }
    const ready = new Promise<void>((resolve, reject) => this.s.readyWaiters.push({ resolve, reject }));
    this.run().catch((err: unknown) => this.abandon(err));
    return ready;
  }

  /** Queues a signal exactly as if the process had received it. */
  signal(sig: ArbiterSignal): void {
    this.enqueue(sig);
  }

  /** Stops all workers: graceful (TERM) drains within graceful-timeout, fast (INT) kills. */
  stop(graceful = true): Promise<ArbiterExit> {
    this.signal(graceful ? 'SIGTERM' : 'SIGINT');
    return this.done;
  }

  /** Sends `{ kind }` to every live worker and gathers the answers (workers that miss `timeoutMs` are left out). */
  collect(kind: string, timeoutMs = 1000): Promise<unknown[]> {
    const targets = [...this.s.records.values()].filter((r) => r.state !== 'booting' && r.state !== 'killing');
    return this.s.collector.ask(targets, kind, timeoutMs);
  }

  /**
   * The JS stack of worker `pid`'s main thread, from its watchdog thread (so
   * a blocked loop answers too); undefined when no such worker, or no answer
   * within `waitMs`. An idle loop answers `idle: true` and no stack.
   */
  dumpStack(pid: number, waitMs?: number): Promise<StackDump | undefined> {
    const rec = [...this.s.records.values()].find((r) => r.pid === pid);
    return rec ? this.s.dumps.ask(rec, waitMs) : Promise.resolve(undefined);
  }

  /** Sends a `custom` message to every live worker. */
  broadcast(data: unknown): void {
    for (const r of this.s.records.values()) sendToWorker(r, { tsgi: 'custom', data });
  }

  private enqueue(sig: QueuedSignal): void {
    if (this.finished) return;
    this.queue.push(sig);
    this.wake();
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private tickMs(): number {
    return Math.max(20, Math.min(500, Math.floor(heartbeatPeriod(this.s.timeoutMs) / 2)));
  }

  /** gunicorn's `run`: every failure of a pass is caught, the workers are stopped and the master ends with MASTER_CRASH. */
  private async run(): Promise<void> {
    let first = true;
    while (!this.finished) {
      try {
        if (first) {
          first = false;
          manageWorkers(this.s);
        }
        await this.pass();
      } catch (err) {
        this.crash(err);
      }
    }
  }

  /** One turn: one queued signal, else murder, reap and manage, then sleep until woken or the next tick. */
  private async pass(): Promise<void> {
    const s = this.s;
    if (s.failure !== undefined) {
      const failure = s.failure;
      s.failure = undefined;
      throw failure;
    }
    const sig = this.queue.shift();
    if (sig) {
      if (sig !== 'SIGCHLD') s.log.info({ signal: sig }, `Handling signal: ${sig.slice(3).toLowerCase()}`);
      await this[HANDLERS[sig]]();
      return;
    }
    murderWorkers(s);
    reapWorkers(s);
    if (s.stopping || s.halted || s.crashed) {
      if (s.records.size === 0) return this.finish();
    } else {
      manageWorkers(s);
    }
    if (this.queue.length === 0 && s.exited.length === 0 && s.failure === undefined) await this.sleep(this.tickMs());
  }

  /** Reload: new config, a new generation up, then the old one drained. */
  private async handleHup(): Promise<void> {
    await reload(this.s);
  }

  private handleTerm(): void {
    if (!this.s.stopping) this.beginStop('graceful');
  }

  private handleInt(): void {
    if (this.s.stopping !== 'fast') this.beginStop('fast');
  }

  private handleQuit(): void {
    this.handleInt();
  }

  private handleTtin(): void {
    const s = this.s;
    if (!s.stopping) s.target += 1;
    s.log.info({ workers: s.target }, 'worker target raised');
  }

  private handleTtou(): void {
    const s = this.s;
    if (!s.stopping && s.target > 1) s.target -= 1;
    s.log.info({ workers: s.target }, 'worker target lowered');
  }

  private handleUsr1(): void {
    const s = this.s;
    s.options.hooks?.reopenLogs?.();
    for (const r of s.records.values()) sendToWorker(r, { tsgi: 'reopen-logs' });
  }

  private handleUsr2(): void {
    // Not supported: node:cluster keeps listen sockets in private handles
    // of this process, so a re-exec'd master could not inherit them.
    this.s.log.warn({ signal: 'SIGUSR2' }, 'USR2 (master re-exec) is not supported; use HUP to reload code and config');
  }

  /** A worker exited: reap it now rather than at the next tick. */
  private handleChld(): void {
    reapWorkers(this.s);
  }

  private beginStop(mode: 'graceful' | 'fast'): void {
    const s = this.s;
    s.stopping = mode;
    const stopDeadline = Date.now() + s.gracefulTimeoutMs;
    for (const r of s.records.values()) {
      if (mode === 'graceful') {
        if (r.state !== 'draining' && r.state !== 'killing') drainWorker(r, 'stop', s.gracefulTimeoutMs, s.killGraceMs);
        r.drainDeadline = Math.min(r.drainDeadline, stopDeadline);
      } else {
        killWorker(r, 'SIGQUIT', s.killGraceMs);
      }
    }
    rejectReadyWaiters(s, new ArbiterError('ARB_ERR_STOPPED_BEFORE_READY'));
  }

  /**
   * The loop failed: log it, drain every worker (the murderer kills what
   * outlives the graceful timeout) and end with MASTER_CRASH once they are
   * gone. A second failure while doing so SIGKILLs them and ends at once.
   */
  private crash(err: unknown): void {
    const s = this.s;
    const message = err instanceof Error ? err.message : String(err);
    if (s.crashed) {
      s.log.error({ err }, `master loop failed again while stopping; killing the workers: ${message}`);
      this.abandon(err);
      return;
    }
    s.crashed = new ArbiterCrashError(message, EXIT.MASTER_CRASH, { cause: err });
    s.log.error({ err }, `master loop failed, stopping the workers: ${message}`);
    if (s.stopping !== 'fast') this.beginStop('graceful');
    rejectReadyWaiters(s, s.crashed);
  }

  /** Last resort: SIGKILL every worker and resolve `done` without waiting for the loop. */
  private abandon(err: unknown): void {
    if (this.finished) return;
    for (const r of this.s.records.values()) signalWorker(r, 'SIGKILL');
    this.s.crashed ??= new ArbiterCrashError(String(err), EXIT.MASTER_CRASH, { cause: err });
    this.finish();
  }

  private finish(): void {
    this.finished = true;
    this.wake();
    for (const [sig, handler] of this.signalHandlers) process.off(sig, handler);
    this.signalHandlers.clear();
    const { halted, crashed } = this.s;
    const failed = crashed ?? halted;
    const exit: ArbiterExit = failed
      ? { code: failed.exitCode, reason: crashed ? 'crashed' : 'halted', error: failed }
      : { code: EXIT.OK, reason: 'stopped' };
    this.s.log.info({ code: exit.code }, failed ? `master ${exit.reason}` : 'Shutting down: Master');
    this.resolveDone(exit);
  }
}
