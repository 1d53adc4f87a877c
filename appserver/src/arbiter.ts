import cluster from 'node:cluster';
import { EventEmitter } from 'node:events';
import { createArbiterState, rejectReadyWaiters, type ArbiterState } from './arbiter-state.js';
import { ARBITER_SIGNALS, type ArbiterExit, type ArbiterOptions, type ArbiterSignal, type WorkerInfo } from './arbiter-types.js';
import { EXIT } from './exit-codes.js';
import { heartbeatPeriod } from './ipc-protocol.js';
import { manageWorkers, reload } from './worker-generations.js';
import { murderWorkers, reapWorkers } from './worker-reaper.js';
import { drainWorker, killWorker, sendToWorker, workerInfo } from './worker-record.js';

/**
 * gunicorn's arbiter for Node: a pre-fork master over node:cluster that knows
 * nothing about HTTP or TSGI. Signal handlers only queue; one loop handles the
 * queue (HUP reload, TTIN/TTOU scale, TERM graceful stop, INT/QUIT fast stop,
 * USR1 reopen logs), then murders workers whose heartbeat is late, reaps the
 * dead and spawns back to the target with back-off. Workers exiting with 3
 * (boot error) or 4 (app load error) halt it. Workers run `startWorkerRuntime`.
 */
export class Arbiter extends EventEmitter {
  // The loop's parts (worker-spawner, worker-reaper, worker-generations) share this state.
  private readonly s: ArbiterState;
  private readonly queue: ArbiterSignal[] = [];
  private started = false;
  private finished = false;
  private wakeUp: (() => void) | undefined;
  private readonly signalHandlers = new Map<ArbiterSignal, () => void>();
  private resolveDone!: (exit: ArbiterExit) => void;
  /** Resolves once, when the master loop ends (all workers gone). */
  readonly done: Promise<ArbiterExit>;

  constructor(options: ArbiterOptions) {
    super();
    if (!cluster.isPrimary) throw new Error('Arbiter must run in the primary process');
    this.s = createArbiterState(
      options,
      () => this.wake(),
      (event, ...args) => this.emit(event, ...args),
    );
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Target worker count. */
  get workerTarget(): number {
    return this.s.target;
  }

  /** Snapshots of the live workers. */
  get workers(): WorkerInfo[] {
    return [...this.s.records.values()].map(workerInfo);
  }

  /** True while at least one worker is ready and no stop has begun (readiness probe). */
  get ready(): boolean {
    if (this.s.stopping || this.s.halted) return false;
    for (const r of this.s.records.values()) if (r.state === 'ready' || r.state === 'retiring') return true;
    return false;
  }

  get isStopping(): boolean {
    return this.s.stopping !== undefined;
  }

  /** Forks the initial workers and runs the loop; resolves when `workers` workers are ready. */
  start(): Promise<void> {
    if (this.started) throw new Error('Arbiter already started');
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
    void this.loop();
    return ready;
  }

  /** Queues a signal exactly as if the process had received it. */
  signal(sig: ArbiterSignal): void {
    if (this.finished) return;
    // gunicorn keeps at most 5 queued signals; a flood of HUPs collapses.
    if (this.queue.length < 5) this.queue.push(sig);
    this.wake();
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

  /** Sends a `custom` message to every live worker. */
  broadcast(data: unknown): void {
    for (const r of this.s.records.values()) sendToWorker(r, { tsgi: 'custom', data });
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

  /** gunicorn's `run`: one queued signal per pass, else murder, reap and manage. */
  private async loop(): Promise<void> {
    const s = this.s;
    manageWorkers(s);
    while (!this.finished) {
      const sig = this.queue.shift();
      if (sig) {
        await this.handleSignal(sig);
        continue;
      }
      murderWorkers(s);
      reapWorkers(s);
      if (s.stopping || s.halted) {
        if (s.records.size === 0) {
          this.finish();
          break;
        }
      } else {
        manageWorkers(s);
      }
      if (this.queue.length === 0 && s.exited.length === 0) await this.sleep(this.tickMs());
    }
  }

  private async handleSignal(sig: ArbiterSignal): Promise<void> {
    const s = this.s;
    s.log.info({ signal: sig }, `Handling signal: ${sig.slice(3).toLowerCase()}`);
    switch (sig) {
      case 'SIGHUP':
        return reload(s);
      case 'SIGTTIN':
        if (!s.stopping) s.target += 1;
        s.log.info({ workers: s.target }, 'worker target raised');
        return;
      case 'SIGTTOU':
        if (!s.stopping && s.target > 1) s.target -= 1;
        s.log.info({ workers: s.target }, 'worker target lowered');
        return;
      case 'SIGTERM':
        if (!s.stopping) this.beginStop('graceful');
        return;
      case 'SIGINT':
      case 'SIGQUIT':
        if (s.stopping !== 'fast') this.beginStop('fast');
        return;
      case 'SIGUSR1':
        s.options.hooks?.reopenLogs?.();
        for (const r of s.records.values()) sendToWorker(r, { tsgi: 'reopen-logs' });
        return;
      case 'SIGUSR2':
        // Not supported: node:cluster keeps listen sockets in private handles
        // of this process, so a re-exec'd master could not inherit them.
        s.log.warn({ signal: sig }, 'USR2 (master re-exec) is not supported; use HUP to reload code and config');
        return;
    }
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
    rejectReadyWaiters(s, new Error('stopped before the workers were ready'));
  }

  private finish(): void {
    this.finished = true;
    for (const [sig, handler] of this.signalHandlers) process.off(sig, handler);
    this.signalHandlers.clear();
    const halted = this.s.halted;
    const exit: ArbiterExit = halted ? { code: halted.exitCode, reason: 'halted', error: halted } : { code: EXIT.OK, reason: 'stopped' };
    this.s.log.info({ code: exit.code }, halted ? 'master halted' : 'Shutting down: Master');
    this.resolveDone(exit);
  }
}
