import type { Socket } from 'node:net';

/** How often, at most, the cap logs that it refused connections. */
const LOG_EVERY_MS = 10_000;

/**
 * nginx's `worker_connections` for one worker: at most `max()` client
 * connections open at once across all its listeners; a connection over the
 * cap is closed at accept, before any byte is read. The first refusal is
 * reported at once, then at most every 10 s with the count refused since the
 * last report, so a flood cannot flood the log too.
 */
export class ConnectionCap {
  private openNow = 0;
  private refusedSinceReport = 0;
  private lastReportAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly max: () => number,
    private readonly report: (event: { open: number; max: number; refused: number }) => void,
    private readonly refusedOne: () => void = () => {},
  ) {}

  /** Counts `socket` until it closes, or closes it (false) when the worker is at its cap. */
  admit(socket: Socket): boolean {
    const max = this.max();
    if (this.openNow >= max) {
      socket.destroy();
      this.refusedOne();
      this.refusedSinceReport += 1;
      const now = Date.now();
      if (now - this.lastReportAt >= LOG_EVERY_MS) {
        this.lastReportAt = now;
        this.report({ open: this.openNow, max, refused: this.refusedSinceReport });
        this.refusedSinceReport = 0;
      }
      return false;
    }
    this.openNow += 1;
    socket.once('close', () => {
      this.openNow -= 1;
    });
    return true;
  }

  /** Client connections open now. */
  get open(): number {
    return this.openNow;
  }
}
