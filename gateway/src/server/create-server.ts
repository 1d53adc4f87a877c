import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { adoptForBufferedReads, isFreshlyAccepted } from '@tsgi/http1';
import type { RunningServer, ServerOptions, TsgiServer } from '../server-types.js';
import type { App } from '../types.js';
import { Connection, type Engine } from './connection.js';
import { resolveOptions } from './server-options.js';

/**
 * Creates the reference TSGI server: strict HTTP/1.1 on `node:net` with its
 * own head parser (SRV-1..SRV-8). Call `listen()` on it, or use `serve()`.
 */
export function createServer(app: App, options: ServerOptions = {}): TsgiServer {
  const opts = resolveOptions(options);
  const engine: Engine = { app, opts, connections: new Set(), inFlight: 0, draining: false };
  // Accepted paused so the handle can move to a socket that reads through `onread` (no Readable.push per read).
  const server = createNetServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (accepted: Socket) => {
    if (engine.draining) {
      accepted.destroy();
      return;
    }
    // Sockets handed over by the app server's master (--sticky) arrive reading and are taken as they are.
    const fresh = isFreshlyAccepted(accepted);
    const socket = adoptForBufferedReads(accepted, true);
    engine.connections.add(new Connection(engine, socket));
    if (fresh) socket.resume();
  }) as Server & TsgiServer;

  // One sweep per server instead of a timer per connection: deadlines are plain numbers on each connection.
  const shortest = Math.min(opts.keepAliveTimeoutMs, opts.headersTimeoutMs, opts.bodyTimeoutMs, opts.sendTimeoutMs);
  const period = Math.max(10, Math.min(1000, Math.floor(shortest / 4)));
  let sweep: NodeJS.Timeout | null = null;
  server.on('listening', () => {
    sweep ??= setInterval(() => {
      const now = Date.now();
      for (const conn of engine.connections) {
        if (conn.deadline !== 0 && now >= conn.deadline) conn.onDeadline();
      }
    }, period);
    sweep.unref();
  });
  server.on('close', () => {
    if (sweep !== null) clearInterval(sweep);
    sweep = null;
  });

  Object.defineProperty(server, 'inFlight', { get: () => engine.inFlight, enumerable: true });
  Object.defineProperty(server, 'drain', {
    value(graceMs: number): Promise<void> {
      engine.draining = true;
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          for (const conn of engine.connections) conn.destroy();
        }, graceMs);
        force.unref();
        const finish = (): void => {
          clearTimeout(force);
          resolve();
        };
        if (server.listening) server.close(finish);
        else if (engine.connections.size === 0) finish();
        else server.once('close', finish);
        for (const conn of engine.connections) conn.drainIdle();
      });
    },
  });
  return server;
}

/** Creates a server, listens (default 127.0.0.1, port 0) and resolves once it accepts connections. */
export function serve(app: App, options: ServerOptions = {}): Promise<RunningServer> {
  const server = createServer(app, options);
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const addr = server.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({ server, host, port, url: `http://${shown}:${port}/`, close: (graceMs = 1000) => server.drain(graceMs) });
    });
  });
}
