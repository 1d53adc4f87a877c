import type { Socket } from 'node:net';

/** A WebSocket close frame, server to client (unmasked): code 1001 "going away" (RFC 6455 §7.4.1). */
const GOING_AWAY = Buffer.from([0x88, 0x02, 0x03, 0xe9]);

/**
 * The connections an app took over with an upgrade (WebSocket, or any
 * `Upgrade:` protocol): counted while open, left alone during a drain until
 * the grace period ends, then closed — WebSockets with a close frame 1001
 * (going away, as a browser sees when a server restarts), others cut.
 */
export class UpgradedConnections {
  private readonly open = new Map<Socket, boolean>();

  /** Tracks `socket` until it closes; `websocket` when the request asked for `Upgrade: websocket`. */
  track(socket: Socket, websocket: boolean): void {
    if (this.open.has(socket) || socket.destroyed) return;
    this.open.set(socket, websocket);
    socket.once('close', () => this.open.delete(socket));
  }

  /** The socket turned out to serve an ordinary response (the app did not take it over). */
  untrack(socket: Socket): void {
    this.open.delete(socket);
  }

  has(socket: Socket): boolean {
    return this.open.has(socket);
  }

  get size(): number {
    return this.open.size;
  }

  /** Sends 1001 to every WebSocket and ends it; cuts the rest. Resolves once all closed or after `waitMs`. */
  closeAll(waitMs: number): Promise<void> {
    const sockets = [...this.open.keys()];
    for (const [socket, websocket] of this.open) {
      if (websocket && socket.writable) {
        socket.end(GOING_AWAY);
      } else {
        socket.destroy();
      }
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const s of sockets) s.destroy();
        resolve();
      }, waitMs);
      timer.unref();
      const check = (): void => {
        if (sockets.every((s) => s.destroyed || s.closed)) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const s of sockets) s.once('close', check);
      check();
    });
  }
}

/** True for `Upgrade: websocket` (any case, possibly in a list). */
export function wantsWebSocket(upgrade: string | undefined): boolean {
  return upgrade !== undefined && /(^|,)\s*websocket\s*(,|$)/i.test(upgrade);
}
