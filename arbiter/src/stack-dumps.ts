import type { StackDump } from './ipc-protocol.js';
import { askForDump } from './report-pipe.js';
import type { WorkerRecord } from './worker-record.js';

/**
 * How long the master waits for a worker's stack before it goes on without
 * it (the kill of a timed-out worker waits at most this long). A little more
 * than the thread's own capture cap, so a slow capture still answers.
 */
export const STACK_DUMP_WAIT_MS = 2000;

/**
 * Stack dump requests to workers' watchdog threads (over the report pipe,
 * which a blocked event loop does not serve) and their answers. A request
 * resolves with the answer, or undefined at its deadline or when the worker
 * exits first.
 */
export class StackDumps {
  private seq = 0;
  private readonly pending = new Map<number, { workerId: number; done: (dump: StackDump | undefined) => void }>();

  ask(rec: WorkerRecord, waitMs = STACK_DUMP_WAIT_MS): Promise<StackDump | undefined> {
    if (!rec.reports) return Promise.resolve(undefined);
    const id = ++this.seq;
    const pipe = rec.reports;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), waitMs);
      const done = (dump: StackDump | undefined): void => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(dump);
      };
      this.pending.set(id, { workerId: rec.id, done });
      askForDump(pipe, id);
    });
  }

  /** An answer read from a worker's report pipe. */
  answered(dump: StackDump): void {
    this.pending.get(dump.dump)?.done(dump);
  }

  /** A worker exited: its requests end without an answer. */
  workerGone(workerId: number): void {
    for (const p of [...this.pending.values()]) if (p.workerId === workerId) p.done(undefined);
  }
}
