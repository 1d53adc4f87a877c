import { createServer } from 'node:net';

/**
 * A port on 127.0.0.1 that was free a moment ago. Programs that cannot report
 * the port they bound (nginx, gunicorn) need one chosen up front; the window
 * between close and their bind is tiny and the caller retries on EADDRINUSE.
 */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}
