import type { ArbiterSignal } from './arbiter-types.js';

/** What the loop takes off the queue: the handled signals plus SIGCHLD, queued when a worker exits. */
export type QueuedSignal = ArbiterSignal | 'SIGCHLD';

/** Signals whose second copy, while the first still waits, would do the same work again. */
const COLLAPSING: ReadonlySet<QueuedSignal> = new Set<QueuedSignal>(['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGCHLD']);

/**
 * gunicorn's SIG_QUEUE, unbounded so nothing that matters is lost: a burst of
 * HUPs (or USR1s) waiting to be handled collapses into one, TTIN/TTOU each
 * count, and TERM, INT and QUIT are never dropped, however long the burst
 * before them. A pending stop makes further copies of itself redundant.
 */
export class SignalQueue {
  private readonly items: QueuedSignal[] = [];

  push(sig: QueuedSignal): void {
    if ((COLLAPSING.has(sig) || isStop(sig)) && this.items.includes(sig)) return;
    this.items.push(sig);
  }

  shift(): QueuedSignal | undefined {
    return this.items.shift();
  }

  get length(): number {
    return this.items.length;
  }
}

function isStop(sig: QueuedSignal): boolean {
  return sig === 'SIGTERM' || sig === 'SIGINT' || sig === 'SIGQUIT';
}
