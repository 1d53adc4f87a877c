import { createServer, type Server, type Socket } from 'node:net';

/** How a bad upstream misbehaves once it has read a request head. */
export type BadMode = 'hang' | 'reset-mid-body' | 'malformed' | 'close-before-response';

/** A raw TCP "HTTP server" that breaks HTTP on purpose; counts the requests it got. */
export interface BadUpstream {
  port: number;
  mode: BadMode;
  /** Request heads received. */
  requests: number;
  close(): Promise<void>;
}

/** The declared length of the reset-mid-body response, and how much of it is sent. */
export const RESET_DECLARED = 100_000;
export const RESET_SENT = 1000;

/** Starts a misbehaving upstream on 127.0.0.1 (port 0). */
export function startBadUpstream(mode: BadMode): Promise<BadUpstream> {
  const sockets = new Set<Socket>();
  const state = { requests: 0 };
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        state.requests++;
        if (mode === 'hang') continue;
        if (mode === 'close-before-response') {
          sock.destroy();
          return;
        }
        if (mode === 'malformed') {
          sock.end('HTTP/1.1 2x0 Nonsense\r\nContent-Length: banana\r\n\r\nbroken');
          return;
        }
        sock.write(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${RESET_DECLARED}\r\n\r\n`);
        sock.write(Buffer.alloc(RESET_SENT, 0x61), () => {
          // An RST, not a FIN: the peer sees ECONNRESET mid-body.
          setTimeout(() => sock.resetAndDestroy(), 50);
        });
        return;
      }
    });
  });
  return new Promise((resolveStart) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolveStart({
        port,
        mode,
        get requests() {
          return state.requests;
        },
        close: () =>
          new Promise<void>((resolveClose) => {
            for (const s of sockets) s.destroy();
            server.close(() => resolveClose());
          }),
      });
    });
  });
}
