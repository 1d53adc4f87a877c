import cluster, { type Worker } from 'node:cluster';
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { WorkerInfo } from '@tsgi/arbiter';
import { describeTarget, listenOptions, type ListenTarget } from './listen-targets.js';
import { BindError } from './errors.js';
import { dropStrayHandleAcks } from './node-internals.js';

/** Connections held while no worker is ready yet (Node's default listen backlog). */
const MAX_WAITING = 511;

/** The IPC message that comes with a handed-over connection. */
export interface StickyHandover {
  tsgiSticky: true;
  /** Index of the bind the connection arrived on. */
  bind: number;
}

export function isStickyHandover(msg: unknown): msg is StickyHandover {
  return typeof msg === 'object' && msg !== null && (msg as StickyHandover).tsgiSticky === true && typeof (msg as StickyHandover).bind === 'number';
}

/**
 * `--sticky`: worker affinity by client address, the cluster-sticky
 * pattern. The master accepts on every bind (paused, so no byte is read),
 * hashes the remote address onto the serving workers (in worker-id order)
 * and sends the socket to that worker over IPC. A client keeps its worker
 * while the worker set is unchanged; socket.io's polling and upgrade
 * requests therefore meet the same in-memory session. Costs one IPC
 * handle transfer per connection (README, "Sticky workers").
 *
 * It listens before any worker is forked, as gunicorn's master binds first:
 * port 0 is picked and held here, and a connection that arrives while no
 * worker is ready yet waits (paused) until `open()`.
 */
export class StickyListener {
  private readonly servers: Server[] = [];
  /** The binds with port 0 resolved; set by `listen()`. */
  readonly bound: ListenTarget[] = [];
  private waiting: { bind: number; socket: Socket }[] | undefined = [];

  constructor(
    private readonly targets: readonly ListenTarget[],
    private readonly serving: () => WorkerInfo[],
    private readonly log: Logger,
  ) {}

  async listen(): Promise<void> {
    for (const [index, target] of this.targets.entries()) {
      const server = createServer({ pauseOnConnect: true }, (socket) => this.handOver(index, socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) => reject(new BindError('--bind', describeTarget(target), err)));
        server.listen(listenOptions(target, false), () => resolve());
      });
      this.servers.push(server);
      const addr = server.address();
      this.bound.push('path' in target || typeof addr !== 'object' || addr === null ? target : { host: target.host, port: addr.port });
    }
  }

  /** The workers are ready: hands over the connections that came before them, and every later one at once. */
  open(): void {
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    for (const w of waiting) this.handOver(w.bind, w.socket);
  }

  close(): void {
    for (const s of this.servers) s.close();
    for (const w of this.waiting ?? []) w.socket.destroy();
    this.waiting = undefined;
  }

  private handOver(bind: number, socket: Socket): void {
    if (this.waiting) {
      // Bounded like a listen backlog: past it a client is refused rather than held without limit.
      if (this.waiting.length < MAX_WAITING) this.waiting.push({ bind, socket });
      else socket.destroy();
      return;
    }
    const worker = this.pick(socket.remoteAddress ?? '');
    if (worker === undefined) {
      socket.destroy();
      return;
    }
    const msg: StickyHandover = { tsgiSticky: true, bind };
    dropStrayHandleAcks(worker.process);
    worker.send(msg, socket, { keepOpen: false }, (err) => {
      if (err) {
        this.log.warn({ err, worker: worker.process.pid }, 'could not hand a connection to its sticky worker');
        socket.destroy();
      }
    });
  }

  private pick(address: string): Worker | undefined {
    const workers = this.serving()
      .filter((w) => w.state === 'ready' || w.state === 'retiring')
      .sort((a, b) => a.id - b.id)
      .map((w) => cluster.workers?.[w.id])
      .filter((w): w is Worker => w !== undefined && w.isConnected());
    if (workers.length === 0) return undefined;
    return workers[addressHash(address) % workers.length];
  }
}

/** The first 32 bits of the address's SHA-1: the same client lands on the same worker; neighbouring addresses spread. */
export function addressHash(address: string): number {
  return createHash('sha1').update(address).digest().readUInt32BE(0);
}
