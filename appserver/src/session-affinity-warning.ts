import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { AppserverConfig } from './config.js';

/** engine.io (socket.io's transport) keeps each session in one process's memory. */
const ENGINE_IO = /[\\/]node_modules[\\/]engine\.io[\\/]/;

/**
 * Warns at startup when the app (imported once by the master before it
 * forks) loaded engine.io, the server socket.io attaches in `onServer`, and
 * runs on several workers without --sticky: long-polling requests then land
 * on workers that do not hold the session ("Session ID unknown"). engine.io
 * is CommonJS, so loading it puts it in the one module cache whether the app
 * imported or required it.
 */
export function warnSessionsWithoutAffinity(config: Readonly<AppserverConfig>, log: Logger): void {
  if (config.workers < 2 || config.sticky) return;
  const cache = createRequire(import.meta.url).cache;
  if (!Object.keys(cache).some((file) => ENGINE_IO.test(file))) return;
  log.warn(
    { workers: config.workers },
    `the app loads engine.io (socket.io) and runs ${config.workers} workers without --sticky: polling sessions will fail with "Session ID unknown" on the other workers; use --sticky (behind tsgi-proxy also --proxy-protocol-from and proxyProtocol on the upstream, see README "Sticky workers") or -w 1`,
  );
}
