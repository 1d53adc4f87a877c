import { sendToWorker, type WorkerRecord } from './worker-record.js';

interface PendingCollect {
  got: unknown[];
  waiting: Set<number>;
  done: () => void;
}

/**
 * `Arbiter.collect()`: asks workers for something (metrics) and gathers the
 * answers. A request ends when every asked worker answered or exited, or at
 * its timeout (late workers are left out).
 */
export class WorkerCollector {
  private seq = 0;
  private readonly pending = new Map<number, PendingCollect>();

  ask(targets: WorkerRecord[], kind: string, timeoutMs: number): Promise<unknown[]> {
    const id = ++this.seq;
    if (targets.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const entry: PendingCollect = { got: [], waiting: new Set(targets.map((r) => r.id)), done: () => {} };
      const timer = setTimeout(() => entry.done(), timeoutMs);
      entry.done = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(entry.got);
      };
      this.pending.set(id, entry);
      for (const r of targets) sendToWorker(r, { tsgi: 'collect', id, kind });
    });
  }

  /** A worker's `collected` answer. */
  answered(workerId: number, id: number, data: unknown): void {
    const pending = this.pending.get(id);
    if (pending && pending.waiting.delete(workerId)) {
      pending.got.push(data);
      if (pending.waiting.size === 0) pending.done();
    }
  }

  /** A worker exited: stop waiting for it. */
  workerGone(workerId: number): void {
    for (const [id, pending] of this.pending) {
      if (pending.waiting.delete(workerId) && pending.waiting.size === 0) this.pending.get(id)?.done();
    }
  }
}
