/**
 * The app tier's shield from slow request bodies (nginx reads bodies before
 * it opens an upstream connection). Small bodies are held at the edge until
 * complete, under one byte budget per worker (BodyBudget); larger ones
 * stream, at most `bodyStreams.max` per upstream group at once
 * (BodyStreamGate), so slow senders can never hold every app-tier
 * connection.
 */

/** Body bytes held at the edge by all requests of this worker; a body that would pass `max` streams instead. */
export class BodyBudget {
  held = 0;

  constructor(private readonly max: () => number) {}

  /** Takes `n` bytes when they fit under the cap. */
  tryTake(n: number): boolean {
    if (this.held + n > this.max()) return false;
    this.held += n;
    return true;
  }

  /** Counts bytes already held regardless of the cap (the last read of a body that is complete). */
  force(n: number): void {
    this.held += n;
  }

  give(n: number): void {
    this.held -= n;
  }
}

/** An exchange waiting for a streaming slot. */
export interface StreamWaiter {
  /** A slot is now this waiter's. */
  streamGranted(): void;
}

/** What a gate says to a body that wants to stream. */
export type StreamVerdict = 'granted' | 'queued' | 'refused';

/** How many streamed bodies a group takes at once: `max`, and never more than half of a capped pool (so normal requests keep connections). */
export function streamCapOf(max: number, poolMaxConnections: number, endpoints: number): number {
  if (poolMaxConnections <= 0) return max;
  return Math.min(max, Math.max(1, Math.floor((poolMaxConnections * Math.max(1, endpoints)) / 2)));
}

/** Streamed request bodies in flight to one upstream group (per worker), with a bounded FIFO of waiters. */
export class BodyStreamGate {
  active = 0;
  private readonly waiters: StreamWaiter[] = [];

  acquire(waiter: StreamWaiter, cap: number, queue: number): StreamVerdict {
    if (this.active < cap) {
      this.active++;
      return 'granted';
    }
    if (this.waiters.length >= queue) return 'refused';
    this.waiters.push(waiter);
    return 'queued';
  }

  /** A waiter gave up (timeout, client gone). */
  cancel(waiter: StreamWaiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  /** A streamed body ended (or its exchange did): the slot goes to the oldest waiter. */
  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next.streamGranted();
    else this.active--;
  }

  get queued(): number {
    return this.waiters.length;
  }
}
