import cluster, { type Worker } from 'node:cluster';
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { WorkerInfo } from '@tsgi/arbiter';
import type { ForwardedTrust } from '@tsgi/gateway';
import { describeTarget, listenOptions, type ListenTarget } from './listen-targets.js';
import { BindError } from './errors.js';
import { dropStrayHandleAcks } from './node-internals.js';
import { readProxyHeader } from './proxy-header-reader.js';

/** Connections held while no worker is ready yet (Node's default listen backlog). */
const MAX_WAITING = 511;

/** How long a trusted peer has to send its PROXY protocol header (the proxy's own default). */
const PROXY_HEADER_WAIT_MS = 5000;

/** The IPC message that comes with a handed-over connection. */
export interface StickyHandover {
  tsgiSticky: true;
  /** Index of the bind the connection arrived on. */
  bind: number;
  /** The client a trusted peer's PROXY protocol header named: the worker's socket reports it as its remote end. */
  client?: { address: string; port: number; family: 'IPv4' | 'IPv6' };
  /** Bytes the master read after that header (base64): the worker puts them back before the HTTP parser reads. */
  head?: string;
}

export function isStickyHandover(msg: unknown): msg is StickyHandover {
  return typeof msg === 'object' && msg !== null && (msg as StickyHandover).tsgiSticky === true && typeof (msg as StickyHandover).bind === 'number';
}

/**
 * Worker side: a handed-over socket as the master saw it. The bytes after a
 * PROXY header go back first, and the remote address becomes the client's,
 * so the app (REMOTE_ADDR, `req.socket.remoteAddress`, the access log) sees
 * the real client and nothing parses the header again.
 */
export function restoreHandedOver(socket: Socket, msg: StickyHandover): Socket {
  if (msg.head) socket.unshift(Buffer.from(msg.head, 'base64'));
  if (msg.client) {
    Object.defineProperty(socket, 'remoteAddress', { value: msg.client.address, configurable: true });
    Object.defineProperty(socket, 'remotePort', { value: msg.client.port, configurable: true });
    Object.defineProperty(socket, 'remoteFamily', { value: msg.client.family, configurable: true });
  }
  return socket;
}

/**
 * `--sticky`: worker affinity by client address, the cluster-sticky
 * pattern. The master accepts on every bind (paused, so no byte is read),
 * hashes the remote address onto the serving workers (in worker-id order)
 * and sends the socket to that worker over IPC. From a
 * `--proxy-protocol-from` peer it first reads the PROXY protocol header and
 * hashes the client address the header names instead. A client keeps its worker
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
    /** --proxy-protocol-from: peers whose connections start with a PROXY protocol header. */
    private readonly proxyPeers?: ForwardedTrust,
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
    if (this.proxyPeers?.trusts(socket.remoteAddress ?? '')) {
      // A reset while the header is read, or after it, must not become an uncaught error in the master.
      socket.on('error', () => {});
      readProxyHeader(socket, PROXY_HEADER_WAIT_MS).then(
        ({ address, rest }) => {
          const client = address ? { address: address.sourceAddress, port: address.sourcePort, family: address.family === 4 ? ('IPv4' as const) : ('IPv6' as const) } : undefined;
          this.send(socket, { tsgiSticky: true, bind, ...(client ? { client } : {}), ...(rest.length > 0 ? { head: rest.toString('base64') } : {}) });
        },
        (err: Error) => {
          this.log.debug({ err, peer: socket.remoteAddress }, `closing a connection from a --proxy-protocol-from peer: ${err.message}`);
          socket.destroy();
        },
      );
      return;
    }
    this.send(socket, { tsgiSticky: true, bind });
  }

  /** Hashes the client (the PROXY header's, else the peer) onto a worker and sends the socket there. */
  private send(socket: Socket, msg: StickyHandover): void {
    const worker = this.pick(msg.client?.address ?? socket.remoteAddress ?? '');
    if (worker === undefined) {
      socket.destroy();
      return;
    }
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
