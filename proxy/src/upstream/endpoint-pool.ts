import { UpstreamConnection, type ConnectionEndpoint } from './upstream-connection.js';

/** Someone waiting for a connection: told once when it is ready or cannot be had. */
export interface Waiter {
  onConnection(conn: UpstreamConnection | null, error: Error | null): void;
  /** The socket being opened for this waiter, so a connect timeout can destroy it. */
  pending: UpstreamConnection | null;
}

/** Per-endpoint keep-alive pool: LIFO idle sockets, a cap on open sockets, a FIFO of waiters beyond the cap. */
export class EndpointPool {
  readonly idle: UpstreamConnection[] = [];
  open = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly endpoint: ConnectionEndpoint & { readonly removed: boolean },
    public maxConnections: number,
    public maxIdle: number,
    public idleTimeoutMs: number,
  ) {}

  /**
   * Hands out an idle socket (returned directly), or starts a connect / queues
   * the waiter and returns null. The waiter is then called exactly once unless
   * `cancel` removes it first.
   */
  acquire(waiter: Waiter): UpstreamConnection | null {
    while (this.idle.length > 0) {
      const conn = this.idle.pop() as UpstreamConnection;
      if (conn.reusable) return conn;
      conn.socket.destroy();
    }
    if (this.maxConnections > 0 && this.open >= this.maxConnections) {
      this.waiters.push(waiter);
      return null;
    }
    this.connect(waiter);
    return null;
  }

  cancel(waiter: Waiter): void {
    const i = this.waiters.indexOf(waiter);
    if (i >= 0) this.waiters.splice(i, 1);
  }

  /** Returns a socket after a complete exchange. */
  release(conn: UpstreamConnection, now: number): void {
    conn.handler = null;
    if (!conn.reusable || this.endpoint.removed) {
      conn.socket.destroy();
      return;
    }
    const w = this.waiters.shift();
    if (w !== undefined) {
      w.onConnection(conn, null);
      return;
    }
    if (this.idle.length >= this.maxIdle) {
      conn.socket.destroy();
      return;
    }
    conn.idleSince = now;
    this.idle.push(conn);
  }

  onClosed(conn: UpstreamConnection): void {
    this.open--;
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    // A slot opened: let the oldest waiter connect.
    if (this.waiters.length > 0 && (this.maxConnections === 0 || this.open < this.maxConnections)) {
      this.connect(this.waiters.shift() as Waiter);
    }
  }

  /** Closes idle sockets older than the idle timeout (called from the periodic tick). */
  sweep(now: number): void {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      const conn = this.idle[i]!; // 0 <= i < idle.length
      if (now - conn.idleSince >= this.idleTimeoutMs) conn.socket.destroy();
    }
  }

  /** Fails every waiter and closes idle sockets (endpoint removed or proxy stopping). */
  close(error: Error): void {
    for (const w of this.waiters.splice(0)) w.onConnection(null, error);
    for (const conn of this.idle.slice()) conn.socket.destroy();
  }

  get waiting(): number {
    return this.waiters.length;
  }

  private connect(waiter: Waiter): void {
    this.open++;
    const conn = new UpstreamConnection(this.endpoint);
    // The waiter owns the connection from the start, so connect errors reach it.
    conn.handler = {
      onUpstreamData: () => conn.socket.destroy(),
      onUpstreamEnd: () => {},
      onUpstreamDrain: () => {},
      onUpstreamClose: (err) => {
        waiter.pending = null;
        waiter.onConnection(null, err ?? new Error('upstream closed during connect'));
      },
    };
    waiter.pending = conn;
    conn.socket.once('connect', () => {
      conn.connected = true;
      conn.handler = null;
      waiter.pending = null;
      waiter.onConnection(conn, null);
    });
  }
}
