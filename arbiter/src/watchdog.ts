import { Worker } from 'node:worker_threads';

/**
 * A thread beside the worker's event loop that notices when the loop has been
 * blocked for `thresholdMs` and writes one JSON diagnostics line naming the
 * request being served, straight to the error log's file descriptor. This is
 * the "SIGABRT" half of gunicorn's timeout: a blocked Node loop cannot run a
 * JS signal handler or read an IPC message, but another thread can still
 * write. The master's SIGKILL follows.
 */
export class LoopWatchdog {
  private readonly shared = new Int32Array(new SharedArrayBuffer(4 * 4));
  private readonly text = new Uint8Array(new SharedArrayBuffer(1024));
  private readonly encoder = new TextEncoder();
  private readonly thread: Worker;
  private readonly origin = Date.now();
  private readonly timer: NodeJS.Timeout;
  private last = '';

  /**
   * `thresholdMs`: blocked this long, a diagnostics line goes to `fd` (the
   * error log). `report`: blocked `afterMs`, a BlockedReport line goes to the
   * master's report pipe `fd` (see ipc-protocol.ts).
   */
  constructor(thresholdMs: number, fd: number, report?: { fd: number; afterMs: number }) {
    this.tick();
    const reportFd = report?.fd ?? -1;
    const reportMs = Math.min(thresholdMs, report?.afterMs ?? thresholdMs);
    this.thread = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { shared: this.shared, text: this.text, thresholdMs, fd, reportFd, reportMs, origin: this.origin, pid: process.pid },
      stdout: false,
      stderr: false,
    });
    this.thread.unref();
    this.timer = setInterval(() => this.tick(), Math.max(20, Math.floor(reportMs / 8)));
    this.timer.unref();
  }

  /** Records the request now being served (the last one started). */
  serving(description: string, inFlight: number): void {
    // Re-encode only when the request differs from the last one (a hot route repeats).
    if (description !== this.last) {
      this.last = description;
      const { written } = this.encoder.encodeInto(description, this.text);
      Atomics.store(this.shared, 1, written);
    }
    Atomics.store(this.shared, 2, inFlight);
  }

  private tick(): void {
    Atomics.store(this.shared, 0, Date.now() - this.origin);
  }

  stop(): void {
    clearInterval(this.timer);
    void this.thread.terminate();
  }
}

const THREAD_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { shared, text, thresholdMs, fd, reportFd, reportMs, origin, pid } = workerData;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let reportedAt = -1;
let toldMasterAt = -1;
const current = () => Buffer.from(text.buffer, 0, Atomics.load(shared, 1)).toString('utf8');
for (;;) {
  Atomics.wait(sleeper, 0, 0, Math.max(20, Math.min(250, reportMs / 4)));
  const last = Atomics.load(shared, 0);
  const blocked = Date.now() - origin - last;
  if (reportFd >= 0 && blocked >= reportMs && toldMasterAt !== last) {
    toldMasterAt = last;
    const report = JSON.stringify({ request: current(), inFlight: Atomics.load(shared, 2), blockedMs: blocked });
    try { writeSync(reportFd, report + '\\n'); } catch {}
  }
  if (blocked >= thresholdMs && reportedAt !== last) {
    reportedAt = last;
    const request = current();
    const line = JSON.stringify({ level: 50, time: Date.now(), pid, blockedMs: blocked, request, inFlight: Atomics.load(shared, 2),
      msg: 'worker event loop blocked for ' + blocked + ' ms while serving ' + (request || '(no request)') });
    try { writeSync(fd, line + '\\n'); } catch {}
  }
}
`;
