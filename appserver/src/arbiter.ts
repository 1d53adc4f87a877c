import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import {
  ARBITER_SIGNALS,
  type ArbiterExit,
  type ArbiterOptions,
  type ArbiterSignal,
  type ExitReason,
  type WorkerInfo,
  type WorkerState,
} from './arbiter-types.js';
import { ArbiterHaltError } from './errors.js';
import { EXIT } from './exit-codes.js';
import type { Readable } from 'node:stream';
import {
  heartbeatPeriod,
  isWorkerMessage,
  REPORT_FD,
  type BlockedReport,
  type InFlightRequest,
  type WorkerMessage,
} from './ipc-protocol.js';
import { BackOff } from './back-off.js';
import { readBlockedReports } from './report-pipe.js';

interface WorkerRecord {
  worker: Worker;
  id: number;
  pid: number;
  generation: number;
  state: WorkerState;
  spawnedAt: number;
  lastBeat: number;
  inFlight: number;
  requests: InFlightRequest[];
  /** What the worker's loop watchdog reported since the last heartbeat (its loop is blocked). */
  blocked?: BlockedReport & { at: number };
  everReady: boolean;
  /** Why this worker is retiring/draining; becomes the exit reason. */
  leaveReason?: ExitReason;
  drainDeadline: number;
  killAt: number;
  timedOut: boolean;
  fatal?: { exitCode: number; code: string; message: string };
}

/**
 * gunicorn's arbiter for Node: a pre-fork master over node:cluster that knows
 * nothing about HTTP or TSGI. Signal handlers only queue; one loop handles the
 * queue (HUP reload, TTIN/TTOU scale, TERM graceful stop, INT/QUIT fast stop,
 * USR1 reopen logs), then murders workers whose heartbeat is late, reaps the
 * dead and spawns back to the target with back-off. Workers exiting with 3
 * (boot error) or 4 (app load error) halt it. Workers run `startWorkerRuntime`.
 */
export class Arbiter extends EventEmitter {
  private readonly options: ArbiterOptions;
  private target: number;
  private timeoutMs: number;
  private gracefulTimeoutMs: number;
  private readonly killGraceMs: number;
  private readonly bootTimeoutMs: number;
  private readonly records = new Map<number, WorkerRecord>();
  private readonly exited: Array<{ rec: WorkerRecord; code: number | null; signal: string | null }> = [];
  private readonly queue: ArbiterSignal[] = [];
  private readonly backOff = new BackOff(100, 10_000);
  private generation = 1;
  private stopping: 'graceful' | 'fast' | undefined;
  private stopDeadline = 0;
  private halted: ArbiterHaltError | undefined;
  private started = false;
  private finished = false;
  private wakeUp: (() => void) | undefined;
  private collectSeq = 0;
  private readonly pendingCollects = new Map<number, { got: unknown[]; waiting: Set<number>; done: () => void }>();
  private readonly signalHandlers = new Map<ArbiterSignal, () => void>();
  private readyWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private resolveDone!: (exit: ArbiterExit) => void;
  /** Resolves once, when the master loop ends (all workers gone). */
  readonly done: Promise<ArbiterExit>;

  constructor(options: ArbiterOptions) {
    super();
    if (!cluster.isPrimary) throw new Error('Arbiter must run in the primary process');
    this.options = options;
    this.target = options.workers;
    this.timeoutMs = options.timeoutMs;
    this.gracefulTimeoutMs = options.gracefulTimeoutMs;
    this.killGraceMs = options.killGraceMs ?? 1000;
    this.bootTimeoutMs = options.bootTimeoutMs ?? 30_000;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Target worker count. */
  get workerTarget(): number {
    return this.target;
  }

  /** Snapshots of the live workers. */
  get workers(): WorkerInfo[] {
    return [...this.records.values()].map((r) => this.info(r));
  }

  /** True while at least one worker is ready and no stop has begun (readiness probe). */
  get ready(): boolean {
    if (this.stopping || this.halted) return false;
    for (const r of this.records.values()) if (r.state === 'ready' || r.state === 'retiring') return true;
    return false;
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Forks the initial workers and runs the loop; resolves when `workers` workers are ready. */
  start(): Promise<void> {
    if (this.started) throw new Error('Arbiter already started');
    this.started = true;
    cluster.schedulingPolicy = this.options.scheduling === 'round-robin' ? cluster.SCHED_RR : cluster.SCHED_NONE;
    cluster.setupPrimary({
      exec: this.options.workerModule,
      execArgv: this.options.execArgv ?? process.execArgv,
      args: this.options.args ?? [],
      // fd 4: the report pipe a worker's watchdog thread writes to when its loop (and so its IPC) is blocked.
      stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'],
    });
    if (this.options.handleSignals !== false) {
      for (const sig of ARBITER_SIGNALS) {
        const handler = (): void => this.signal(sig);
        this.signalHandlers.set(sig, handler);
        process.on(sig, handler);
      }
    }
    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
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
    const id = ++this.collectSeq;
    const targets = [...this.records.values()].filter((r) => r.state !== 'booting' && r.state !== 'killing');
    if (targets.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const entry = { got: [] as unknown[], waiting: new Set(targets.map((r) => r.id)), done: () => {} };
      const timer = setTimeout(() => entry.done(), timeoutMs);
      entry.done = () => {
        clearTimeout(timer);
        this.pendingCollects.delete(id);
        resolve(entry.got);
      };
      this.pendingCollects.set(id, entry);
      for (const r of targets) this.send(r, { tsgi: 'collect', id, kind });
    });
  }

  /** Sends a `custom` message to every live worker. */
  broadcast(data: unknown): void {
    for (const r of this.records.values()) this.send(r, { tsgi: 'custom', data });
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
    return Math.max(20, Math.min(500, Math.floor(heartbeatPeriod(this.timeoutMs) / 2)));
  }

  private async loop(): Promise<void> {
    this.manageWorkers();
    while (!this.finished) {
      const sig = this.queue.shift();
      if (sig) {
        await this.handleSignal(sig);
        continue;
      }
      this.murderWorkers();
      this.reapWorkers();
      if (this.stopping || this.halted) {
        if (this.records.size === 0) {
          this.finish();
          break;
        }
      } else {
        this.manageWorkers();
      }
      if (this.queue.length === 0 && this.exited.length === 0) await this.sleep(this.tickMs());
    }
  }

  private async handleSignal(sig: ArbiterSignal): Promise<void> {
    const log = this.options.logger;
    log.info({ signal: sig }, `Handling signal: ${sig.slice(3).toLowerCase()}`);
    switch (sig) {
      case 'SIGHUP':
        return this.reload();
      case 'SIGTTIN':
        if (!this.stopping) this.target += 1;
        log.info({ workers: this.target }, 'worker target raised');
        return;
      case 'SIGTTOU':
        if (!this.stopping && this.target > 1) this.target -= 1;
        log.info({ workers: this.target }, 'worker target lowered');
        return;
      case 'SIGTERM':
        if (!this.stopping) this.beginStop('graceful');
        return;
      case 'SIGINT':
      case 'SIGQUIT':
        if (this.stopping !== 'fast') this.beginStop('fast');
        return;
      case 'SIGUSR1':
        this.options.hooks?.reopenLogs?.();
        for (const r of this.records.values()) this.send(r, { tsgi: 'reopen-logs' });
        return;
      case 'SIGUSR2':
        // Not supported: node:cluster keeps listen sockets in private handles
        // of this process, so a re-exec'd master could not inherit them.
        log.warn({ signal: sig }, 'USR2 (master re-exec) is not supported; use HUP to reload code and config');
        return;
    }
  }

  private async reload(): Promise<void> {
    if (this.stopping || this.halted) return;
    try {
      const changed = await this.options.hooks?.reload?.();
      if (changed?.workers !== undefined) this.target = changed.workers;
      if (changed?.timeoutMs !== undefined) this.timeoutMs = changed.timeoutMs;
      if (changed?.gracefulTimeoutMs !== undefined) this.gracefulTimeoutMs = changed.gracefulTimeoutMs;
    } catch (err) {
      this.options.logger.error({ err }, `reload cancelled: ${(err as Error).message}`);
      return;
    }
    this.generation += 1;
    for (const r of this.records.values()) {
      if (r.state === 'booting' || r.state === 'ready' || r.state === 'retiring') {
        r.state = 'retiring';
        r.leaveReason = 'reload';
      }
    }
    this.options.logger.info({ generation: this.generation, workers: this.target }, 'reloading: new workers first');
  }

  private beginStop(mode: 'graceful' | 'fast'): void {
    this.stopping = mode;
    this.stopDeadline = Date.now() + this.gracefulTimeoutMs;
    for (const r of this.records.values()) {
      if (mode === 'graceful') {
        if (r.state !== 'draining' && r.state !== 'killing') this.drain(r, 'stop');
        r.drainDeadline = Math.min(r.drainDeadline, this.stopDeadline);
      } else {
        this.kill(r, 'SIGQUIT');
      }
    }
    for (const w of this.readyWaiters) w.reject(new Error('stopped before the workers were ready'));
    this.readyWaiters = [];
  }

  private kill(r: WorkerRecord, sig: NodeJS.Signals): void {
    if (r.state !== 'killing') {
      r.state = 'killing';
      r.killAt = Date.now() + this.killGraceMs;
      r.leaveReason ??= 'stop';
    }
    try {
      r.worker.process.kill(sig);
    } catch {
      // Already gone; reaped via the exit event.
    }
  }

  private drain(r: WorkerRecord, reason: ExitReason): void {
    r.state = 'draining';
    r.leaveReason = r.leaveReason === 'reload' || r.leaveReason === 'max-requests' ? r.leaveReason : reason;
    r.drainDeadline = Date.now() + this.gracefulTimeoutMs + this.killGraceMs;
    this.send(r, { tsgi: 'drain', graceMs: this.gracefulTimeoutMs, reason: r.leaveReason });
  }

  private murderWorkers(): void {
    const now = Date.now();
    for (const r of this.records.values()) {
      if (r.state === 'killing') {
        if (now >= r.killAt) {
          r.killAt = now + this.killGraceMs;
          try {
            r.worker.process.kill('SIGKILL');
          } catch {
            // Already gone.
          }
        }
        continue;
      }
      // Booting gets its own allowance: node startup plus the app's import can outlast a short --timeout.
      const limit = r.state === 'booting' ? Math.max(this.timeoutMs, this.bootTimeoutMs) : this.timeoutMs;
      if (this.timeoutMs > 0 && now - r.lastBeat > limit) {
        r.timedOut = true;
        r.leaveReason = 'timeout';
        // The last heartbeat predates the request that blocked the loop; the watchdog's report names it.
        const b = r.blocked;
        const inFlight = b ? b.inFlight : r.inFlight;
        const requests = b ? (b.request ? [{ request: b.request, remote: '-', ageMs: b.blockedMs + (now - b.at) }] : []) : r.requests;
        this.options.logger.error(
          { worker: r.pid, silentMs: now - r.lastBeat, inFlight, requests },
          `WORKER TIMEOUT (pid:${r.pid})` + (requests.length ? ` serving ${requests.map((q) => q.request).join(', ')}` : ''),
        );
        this.send(r, { tsgi: 'abort' });
        r.state = 'killing';
        r.killAt = now + this.killGraceMs;
        continue;
      }
      if (r.state === 'draining' && now >= r.drainDeadline) {
        this.options.logger.warn({ worker: r.pid }, 'worker did not finish draining in time; killing it');
        r.state = 'killing';
        r.killAt = now;
      }
    }
  }

  private reapWorkers(): void {
    while (this.exited.length > 0) {
      const { rec, code, signal } = this.exited.shift()!;
      this.records.delete(rec.id);
      for (const [id, pending] of this.pendingCollects) {
        if (pending.waiting.delete(rec.id) && pending.waiting.size === 0) this.pendingCollects.get(id)?.done();
      }
      let reason: ExitReason;
      if (code === EXIT.WORKER_BOOT_ERROR) reason = 'boot-error';
      else if (code === EXIT.APP_LOAD_ERROR) reason = 'app-load-error';
      else if (rec.timedOut) reason = 'timeout';
      else if (rec.leaveReason && (code === 0 || rec.state === 'killing')) reason = rec.leaveReason;
      else reason = 'crash';
      const info = this.info(rec);
      const log = this.options.logger;
      if (reason === 'crash' || reason === 'timeout') {
        log.error({ worker: rec.pid, code, signal, reason }, `worker (pid:${rec.pid}) exited: ${reason}`);
        if (!rec.everReady) this.backOff.failed();
      } else {
        log.info({ worker: rec.pid, code, signal, reason }, `worker (pid:${rec.pid}) exited: ${reason}`);
      }
      this.options.hooks?.workerExited?.(info, reason, { code, signal });
      this.emit('workerExit', info, reason);
      if ((reason === 'boot-error' || reason === 'app-load-error') && !this.stopping) this.onFatalExit(rec, code!);
    }
  }

  private onFatalExit(rec: WorkerRecord, code: number): void {
    const what = code === EXIT.WORKER_BOOT_ERROR ? 'Worker failed to boot' : 'App failed to load';
    const detail = rec.fatal?.message ?? `worker exited with code ${code}`;
    const previous = [...this.records.values()].filter((r) => r.generation < rec.generation && r.leaveReason === 'reload');
    if (previous.length > 0) {
      // A HUP whose new code or config cannot start: keep the old generation serving.
      this.options.logger.error({ worker: rec.pid, code }, `reload failed, keeping the previous workers: ${what}: ${detail}`);
      for (const r of this.records.values()) {
        if (r.generation === rec.generation && r.state !== 'killing') this.drain(r, 'reload');
      }
      for (const r of previous) {
        if (r.state === 'retiring') {
          r.state = r.everReady ? 'ready' : 'booting';
          r.leaveReason = undefined;
          r.generation = rec.generation;
        }
      }
      return;
    }
    this.halted = new ArbiterHaltError(`${what}: ${detail}`, code, rec.fatal?.code);
    this.options.logger.error({ code, workerErrorCode: rec.fatal?.code }, `Shutting down: ${what}: ${detail}`);
    for (const r of this.records.values()) this.kill(r, 'SIGTERM');
    for (const w of this.readyWaiters) w.reject(this.halted);
    this.readyWaiters = [];
  }

  private manageWorkers(): void {
    const now = Date.now();
    const active = [...this.records.values()].filter((r) => r.state === 'booting' || r.state === 'ready');
    if (active.length < this.target && this.backOff.ready(now)) {
      for (let i = active.length; i < this.target; i++) this.spawn();
    }
    if (active.length > this.target) {
      const extra = active.sort((a, b) => a.id - b.id).slice(0, active.length - this.target);
      for (const r of extra) this.drain(r, 'scale-down');
    }
    const readyNow = active.filter((r) => r.state === 'ready').length;
    if (readyNow >= this.target) {
      for (const r of this.records.values()) if (r.state === 'retiring') this.drain(r, r.leaveReason ?? 'reload');
      if (this.readyWaiters.length > 0) {
        for (const w of this.readyWaiters) w.resolve();
        this.readyWaiters = [];
      }
    }
  }

  private spawn(): void {
    const worker = cluster.fork();
    const now = Date.now();
    const rec: WorkerRecord = {
      worker,
      id: worker.id,
      pid: worker.process.pid ?? 0,
      generation: this.generation,
      state: 'booting',
      spawnedAt: now,
      lastBeat: now,
      inFlight: 0,
      requests: [],
      everReady: false,
      drainDeadline: Number.POSITIVE_INFINITY,
      killAt: Number.POSITIVE_INFINITY,
      timedOut: false,
    };
    this.records.set(rec.id, rec);
    worker.on('message', (msg: unknown) => {
      if (isWorkerMessage(msg)) this.onMessage(rec, msg);
    });
    worker.on('error', (err) => this.options.logger.warn({ worker: rec.pid, err }, 'worker IPC error'));
    const reports = worker.process.stdio?.[REPORT_FD] as Readable | null | undefined;
    if (reports) readBlockedReports(reports, (report) => (rec.blocked = { ...report, at: Date.now() }));
    worker.on('exit', (code, signal) => {
      this.exited.push({ rec, code, signal });
      this.wake();
    });
    this.options.logger.info({ worker: rec.pid, generation: rec.generation }, `Booting worker with pid: ${rec.pid}`);
    this.options.hooks?.workerSpawned?.(this.info(rec));
  }

  private onMessage(rec: WorkerRecord, msg: WorkerMessage): void {
    switch (msg.tsgi) {
      case 'hello':
        this.send(rec, {
          tsgi: 'init',
          workerId: rec.id,
          generation: rec.generation,
          timeoutMs: this.timeoutMs,
          gracefulTimeoutMs: this.gracefulTimeoutMs,
          heartbeatMs: heartbeatPeriod(this.timeoutMs),
          reportFd: rec.worker.process.stdio?.[REPORT_FD] ? REPORT_FD : -1,
          data: this.options.workerData?.({ id: rec.id, generation: rec.generation }),
        });
        return;
      case 'ready':
        rec.everReady = true;
        rec.lastBeat = Date.now();
        if (rec.state === 'booting') rec.state = 'ready';
        this.backOff.succeeded();
        this.options.hooks?.workerReady?.(this.info(rec));
        this.emit('workerReady', this.info(rec));
        this.wake();
        return;
      case 'heartbeat':
        rec.lastBeat = Date.now();
        rec.inFlight = msg.inFlight;
        rec.requests = msg.requests;
        rec.blocked = undefined;
        return;
      case 'retire':
        if (rec.state === 'ready') {
          rec.state = 'retiring';
          rec.leaveReason = msg.reason;
          this.wake();
        }
        return;
      case 'fatal':
        rec.fatal = { exitCode: msg.exitCode, code: msg.code, message: msg.message };
        return;
      case 'collected': {
        const pending = this.pendingCollects.get(msg.id);
        if (pending && pending.waiting.delete(rec.id)) {
          pending.got.push(msg.data);
          if (pending.waiting.size === 0) pending.done();
        }
        return;
      }
      case 'custom':
        this.options.hooks?.message?.(this.info(rec), msg.data);
        this.emit('message', this.info(rec), msg.data);
        return;
    }
  }

  private send(rec: WorkerRecord, msg: object): void {
    if (!rec.worker.isConnected()) return;
    try {
      rec.worker.send(msg);
    } catch {
      // The channel closed between the check and the send; the exit event follows.
    }
  }

  private info(r: WorkerRecord): WorkerInfo {
    return {
      id: r.id,
      pid: r.pid,
      generation: r.generation,
      state: r.state,
      spawnedAt: r.spawnedAt,
      lastBeat: r.lastBeat,
      inFlight: r.inFlight,
      requests: r.requests,
    };
  }

  private finish(): void {
    this.finished = true;
    for (const [sig, handler] of this.signalHandlers) process.off(sig, handler);
    this.signalHandlers.clear();
    const exit: ArbiterExit = this.halted
      ? { code: this.halted.exitCode, reason: 'halted', error: this.halted }
      : { code: EXIT.OK, reason: 'stopped' };
    this.options.logger.info({ code: exit.code }, this.halted ? 'master halted' : 'Shutting down: Master');
    this.resolveDone(exit);
  }
}
