import cluster from 'node:cluster';
import { getHeapStatistics } from 'node:v8';
import { ArbiterUsageError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { isMasterMessage, type InFlightRequest, type MasterMessage, type WorkerMessage } from './ipc-protocol.js';
import { LoopWatchdog } from './watchdog.js';

/** What the worker's host program plugs into the runtime once it is listening. */
export interface WorkerHandlers {
  /** Stop accepting, finish in-flight work within `graceMs`, close. The runtime exits 0 after it resolves. */
  drain(graceMs: number, reason: string): Promise<void>;
  /** Answers `Arbiter.collect(kind)`, e.g. prom-client `registry.getMetricsAsJSON()` for 'metrics'. */
  collect?(kind: string): unknown | Promise<unknown>;
  /** USR1: reopen log files. */
  reopenLogs?(): void;
  /** A `custom` message from the master (Arbiter.broadcast). */
  message?(data: unknown): void;
  /** QUIT (the master's fast stop): a last, short cleanup; the runtime exits after it or after 500 ms. */
  quit?(): Promise<void>;
  /** Last words before exiting on `abort` (timeout) or a fatal error: flush logs. */
  flush?(): void;
}

export interface WorkerRuntimeOptions {
  /** Retire after this many requests (0: never), plus a random 0..jitter. */
  maxRequests?: number;
  maxRequestsJitter?: number;
  /** File descriptor the loop watchdog writes its diagnostics to (default 2, stderr). 0 or negative: no watchdog. */
  watchdogFd?: number;
}

/**
 * The worker half of the arbiter protocol: heartbeats from a timer (a blocked
 * loop misses them), request accounting for max-requests and timeout
 * diagnostics, drain/abort/reopen/collect handling. Create it with
 * `startWorkerRuntime()` in the module the Arbiter runs as `workerModule`.
 */
export class WorkerRuntime<Data = unknown> {
  /** The payload from `ArbiterOptions.workerData`. */
  readonly data: Data;
  readonly workerId: number;
  readonly generation: number;
  /** The master's worker timeout in ms (0: disabled). */
  readonly timeoutMs: number;
  private handlers: WorkerHandlers | undefined;
  private readonly inFlight = new Map<number, { request: string; remote: string; startedAt: number }>();
  private requestSeq = 0;
  private served = 0;
  private maxRequests = 0;
  private retiring = false;
  private draining = false;
  private readonly heartbeat: NodeJS.Timeout;
  private watchdog: LoopWatchdog | undefined;
  private readonly reportFd: number;
  private readonly heartbeatMs: number;
  private readonly heapLimit = getHeapStatistics().heap_size_limit;
  private lastRss = 0;

  /** @internal use startWorkerRuntime() */
  constructor(init: Extract<MasterMessage, { tsgi: 'init' }>, options: WorkerRuntimeOptions) {
    this.data = init.data as Data;
    this.workerId = init.workerId;
    this.generation = init.generation;
    this.timeoutMs = init.timeoutMs;
    this.reportFd = init.reportFd ?? -1;
    this.heartbeatMs = init.heartbeatMs;
    this.configureMaxRequests(options.maxRequests ?? 0, options.maxRequestsJitter ?? 0);
    this.heartbeat = setInterval(() => this.beat(), init.heartbeatMs);
    const fd = options.watchdogFd ?? 2;
    if (fd > 0) this.startWatchdog(fd);
    process.on('message', (msg: unknown) => {
      if (isMasterMessage(msg)) void this.onMessage(msg);
    });
    // The master owns the lifecycle: TERM drains, INT/QUIT exit now (Ctrl-C
    // reaches the whole process group), HUP/USR2 belong to the master only.
    process.on('SIGTERM', () => void this.startDrain(init.gracefulTimeoutMs, 'stop'));
    process.on('SIGINT', () => this.exitNow(EXIT.OK));
    process.on('SIGQUIT', () => void this.quit());
    process.on('SIGHUP', () => {});
    process.on('SIGUSR2', () => {});
    process.on('SIGUSR1', () => this.handlers?.reopenLogs?.());
    process.on('disconnect', () => {
      // The master died: nobody would reap or replace us; finish up and leave.
      void this.startDrain(5000, 'master gone');
    });
  }

  /**
   * Starts the loop watchdog thread writing to `fd` (its blocked-loop line
   * only when the master's timeout is on). Automatic unless `watchdogFd` was <= 0, e.g. to pick the fd once
   * the log file is open.
   */
  startWatchdog(fd: number): void {
    // With --timeout 0 the thread still runs for the master's stack dumps (a drain past its deadline, `ctl dump`).
    if (!this.watchdog && (this.timeoutMs > 0 || this.reportFd >= 0)) {
      // The master hears of a blocked loop once a heartbeat is missed, long before it times the worker out.
      const report = this.reportFd >= 0 ? { fd: this.reportFd, afterMs: this.heartbeatMs } : undefined;
      this.watchdog = new LoopWatchdog(this.timeoutMs, fd, report);
    }
  }

  /** Sets max-requests (+ jitter), e.g. once the config from `data` is known. */
  configureMaxRequests(maxRequests: number, jitter: number): void {
    this.maxRequests = maxRequests > 0 ? maxRequests + Math.floor(Math.random() * (jitter + 1)) : 0;
  }

  /** Call once listening: the master counts this worker as ready and may drain the one it replaces. */
  ready(handlers: WorkerHandlers): void {
    this.handlers = handlers;
    this.send({ tsgi: 'ready' });
    this.beat();
  }

  /** A request started; returns a token for `requestFinished`. `request` is e.g. `GET /path`. */
  requestStarted(request: string, remote: string): number {
    const id = ++this.requestSeq;
    this.inFlight.set(id, { request, remote, startedAt: Date.now() });
    this.watchdog?.serving(request, this.inFlight.size);
    return id;
  }

  /** A request finished (in any way). Counts toward max-requests. */
  requestFinished(token: number): void {
    this.inFlight.delete(token);
    this.served += 1;
    if (this.maxRequests > 0 && this.served >= this.maxRequests && !this.retiring && !this.draining) {
      this.retiring = true;
      this.send({ tsgi: 'retire', reason: 'max-requests' });
    }
  }

  /** Requests currently being served, oldest first. */
  inFlightRequests(limit = 5): InFlightRequest[] {
    const now = Date.now();
    const out: InFlightRequest[] = [];
    for (const r of this.inFlight.values()) {
      if (out.length >= limit) break;
      out.push({ request: r.request, remote: r.remote, ageMs: now - r.startedAt });
    }
    return out;
  }

  /** Sends a protocol message to the master. */
  send(msg: WorkerMessage): void {
    if (process.connected) process.send?.(msg);
  }

  /** Sends `data` to the master's `ArbiterHooks.message`. */
  sendCustom(data: unknown): void {
    this.send({ tsgi: 'custom', data });
  }

  /**
   * Reports a fatal start-up error and exits with gunicorn's code: 3 (boot
   * failed) or 4 (app failed to load). The master halts instead of respawning.
   */
  fail(exitCode: number, code: string, message: string): never {
    this.send({ tsgi: 'fatal', exitCode, code, message });
    this.exitNow(exitCode);
  }

  private beat(): void {
    // Once per heartbeat (at most 20 a second), never per request: for memory recycling and `ctl status`.
    const memory = { rss: this.readRss(), heapUsed: getHeapStatistics().used_heap_size, heapLimit: this.heapLimit };
    this.send({ tsgi: 'heartbeat', inFlight: this.inFlight.size, requests: this.inFlightRequests(), served: this.served, memory });
  }

  /**
   * RSS comes from /proc/self, which takes a file descriptor: a worker out of
   * them (EMFILE, `ulimit -n`) keeps its last reading instead of dying in its
   * heartbeat (Node 22's process.memoryUsage() throws there).
   */
  private readRss(): number {
    try {
      this.lastRss = process.memoryUsage.rss();
    } catch {
      // Out of descriptors or /proc unreadable: the last reading stands until the next beat.
    }
    return this.lastRss;
  }

  private async onMessage(msg: MasterMessage): Promise<void> {
    switch (msg.tsgi) {
      case 'drain':
        return this.startDrain(msg.graceMs, msg.reason);
      case 'abort': {
        const requests = this.inFlightRequests(20);
        process.stderr.write(
          JSON.stringify({ level: 50, time: Date.now(), pid: process.pid, requests, msg: 'worker aborted by the master (timeout)' }) + '\n',
        );
        this.exitNow(EXIT.FAILURE);
        return;
      }
      case 'reopen-logs':
        this.handlers?.reopenLogs?.();
        return;
      case 'collect': {
        let data: unknown = null;
        try {
          data = (await this.handlers?.collect?.(msg.kind)) ?? null;
        } catch {
          data = null;
        }
        this.send({ tsgi: 'collected', id: msg.id, data });
        return;
      }
      case 'custom':
        this.handlers?.message?.(msg.data);
        return;
      case 'init':
        return;
    }
  }

  private async startDrain(graceMs: number, reason: string): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      await this.handlers?.drain(graceMs, reason);
    } finally {
      this.exitNow(EXIT.OK);
    }
  }

  /** The master SIGKILLs 1 s after QUIT: the app's quit handler gets half of that. */
  private async quit(): Promise<void> {
    const quit = this.handlers?.quit;
    if (quit && !this.draining) {
      this.draining = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([quit().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 500)))]);
      clearTimeout(timer);
    }
    this.exitNow(EXIT.OK);
  }

  private exitNow(code: number): never {
    clearInterval(this.heartbeat);
    this.watchdog?.stop();
    try {
      this.handlers?.flush?.();
    } catch {
      // Exiting anyway.
    }
    process.exit(code);
  }
}

/**
 * Connects a worker process to its Arbiter: sends `hello`, waits for `init`
 * (worker id, generation, timeout, the `workerData` payload) and starts the
 * heartbeat. Must run in a process the Arbiter forked.
 */
export function startWorkerRuntime<Data = unknown>(options: WorkerRuntimeOptions = {}): Promise<WorkerRuntime<Data>> {
  if (!cluster.isWorker || !process.send) {
    return Promise.reject(new ArbiterUsageError('startWorkerRuntime() must run in a worker forked by an Arbiter'));
  }
  return new Promise((resolve) => {
    const onInit = (msg: unknown): void => {
      if (isMasterMessage(msg) && msg.tsgi === 'init') {
        process.off('message', onInit);
        resolve(new WorkerRuntime<Data>(msg, options));
      }
    };
    process.on('message', onInit);
    process.send!({ tsgi: 'hello' } satisfies WorkerMessage);
  });
}
