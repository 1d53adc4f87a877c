import { Worker } from 'node:worker_threads';
import { WATCHDOG_THREAD_SOURCE } from './watchdog-thread.js';

/** How long a stack capture may take before the answer goes without one (then the kill goes ahead). Typically 20-200 ms. */
export const STACK_CAPTURE_CAP_MS = 1900;

/**
 * A thread beside the worker's event loop that notices when the loop has been
 * blocked for `thresholdMs` and writes one JSON diagnostics line naming the
 * request being served, straight to the error log's file descriptor. This is
 * the "SIGABRT" half of gunicorn's timeout: a blocked Node loop cannot run a
 * JS signal handler or read an IPC message, but another thread can still
 * write. The master's SIGKILL follows.
 *
 * The same thread answers the master's stack dump requests on the report
 * pipe (watchdog-thread.ts): the master asks before it kills a timed-out or
 * overdue worker, and for `ctl dump`. Nothing of it runs per request.
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
   * error log); 0: no such line. `report`: blocked `afterMs`, a BlockedReport
   * line goes to the master's report pipe `fd` (see ipc-protocol.ts), which
   * also carries stack dump requests and answers.
   */
  constructor(thresholdMs: number, fd: number, report?: { fd: number; afterMs: number }) {
    this.tick();
    const reportFd = report?.fd ?? -1;
    const reportMs = thresholdMs > 0 ? Math.min(thresholdMs, report?.afterMs ?? thresholdMs) : 0;
    const tickMs = Math.max(20, Math.floor((reportMs || 1000) / 8));
    this.thread = new Worker(WATCHDOG_THREAD_SOURCE, {
      eval: true,
      workerData: {
        shared: this.shared,
        text: this.text,
        thresholdMs,
        fd,
        reportFd,
        reportMs,
        tickMs,
        captureCapMs: STACK_CAPTURE_CAP_MS,
        maxFrames: 30,
        origin: this.origin,
        pid: process.pid,
      },
      stdout: false,
      stderr: false,
    });
    this.thread.unref();
    this.timer = setInterval(() => this.tick(), tickMs);
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
