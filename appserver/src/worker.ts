/**
 * The appserver's worker process (the Arbiter's `workerModule`): loads the
 * app, hosts it on one server per bind, reports to the master.
 */
import type { Server } from 'node:net';
import { createServer, fromFetch, type App, type TsgiServer } from '@tsgi/gateway';
import { loadApp, type LoadedApp } from './app-loader.js';
import { AppLoadError } from './errors.js';
import { GracefulDrain, isHttpServer } from './graceful-drain.js';
import { describeTarget, listenOptions } from './listen-targets.js';
import { createLogs } from './logger.js';
import { NodeHost } from './node-host.js';
import { RequestObserver } from './request-observer.js';
import type { WorkerData } from './worker-data.js';
import { WorkerMetrics } from './worker-metrics.js';
import { EXIT, startWorkerRuntime } from '@tsgi/arbiter';

const UNLIMITED = 1 << 20;

const runtime = await startWorkerRuntime<WorkerData>({ watchdogFd: -1 });
const { config, targets } = runtime.data;
const logs = createLogs(config, 'worker');
runtime.startWatchdog(logs.errorFd);
runtime.configureMaxRequests(config.maxRequests, config.maxRequestsJitter);

process.on('uncaughtException', (err) => {
  logs.error.fatal({ err }, `uncaught exception, worker exiting: ${err.message}`);
  logs.flush();
  process.exit(EXIT.FAILURE);
});
process.on('unhandledRejection', (reason) => {
  logs.error.error({ err: reason }, 'unhandled promise rejection in the app');
});

async function load(): Promise<LoadedApp> {
  try {
    return await loadApp(config.app!, config.cwd, config.interface);
  } catch (err) {
    const e = err instanceof AppLoadError ? err : new AppLoadError('APP_ERR_APP_IMPORT_FAILED', String(err));
    runtime.fail(EXIT.APP_LOAD_ERROR, e.code, e.message);
    throw err;
  }
}
const loaded = await load();

const metrics = new WorkerMetrics(() => host.inFlight());
const observer = new RequestObserver(runtime, metrics, logs, config.accessLogformat);
const limits = {
  requestLine: config.limitRequestLine || UNLIMITED,
  fields: config.limitRequestFields || UNLIMITED,
  fieldSize: config.limitRequestFieldSize || UNLIMITED,
  body: config.limitRequestBody || Number.POSITIVE_INFINITY,
};
const keepAliveTimeoutMs = Math.max(1, Math.round(config.keepAlive * 1000));
const headersTimeoutMs = Math.max(1, Math.round(config.headerTimeout * 1000));
const bodyTimeoutMs = Math.max(1, Math.round(config.bodyTimeout * 1000));
const sendTimeoutMs = Math.max(1, Math.round(config.sendTimeout * 1000));

interface Host {
  servers: Server[];
  inFlight(): number;
  drain(graceMs: number): Promise<void>;
}

function tsgiHost(app: App): Host {
  const servers: TsgiServer[] = targets.map(() =>
    createServer(app, {
      limits,
      keepAliveTimeoutMs,
      headersTimeoutMs,
      bodyTimeoutMs,
      sendTimeoutMs,
      multiprocess: true,
      forwardedAllowIps: config.forwardedAllowIps,
      errors: {
        write: (message: string) => logs.error.error({ source: 'tsgi.errors' }, message.trimEnd()),
        flush: () => {},
      },
      hooks: observer.tsgiHooks(),
    }),
  );
  // The gateway's server is a node:http server: drain it without the idle-socket race (graceful-drain.ts).
  const drainer = servers.every(isHttpServer) ? new GracefulDrain() : undefined;
  for (const s of servers) if (drainer && isHttpServer(s)) drainer.attach(s);
  return {
    servers,
    inFlight: () => servers.reduce((n, s) => n + s.inFlight, 0),
    drain: (graceMs) =>
      drainer ? drainer.drain(graceMs) : Promise.all(servers.map((s) => s.drain(graceMs))).then(() => undefined),
  };
}

function nodeHost(listener: import('node:http').RequestListener): Host {
  const host = new NodeHost(listener, { ...limits, keepAliveTimeoutMs, headersTimeoutMs }, observer, logs.error);
  const servers = targets.map(() => host.createServer());
  return { servers, inFlight: () => host.inFlight, drain: (graceMs) => host.drain(graceMs) };
}

const host: Host =
  loaded.kind === 'node' ? nodeHost(loaded.listener) : tsgiHost(loaded.kind === 'fetch' ? fromFetch(loaded.handler) : loaded.app);

const reusePort = config.socketModel === 'reuse-port';
try {
  await Promise.all(
    host.servers.map(
      (server, i) =>
        new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(listenOptions(targets[i]!, reusePort), () => {
            server.off('error', reject);
            resolve();
          });
        }),
    ),
  );
} catch (err) {
  runtime.fail(EXIT.WORKER_BOOT_ERROR, 'APP_ERR_BIND_FAILED', `cannot listen on ${targets.map(describeTarget).join(', ')}: ${(err as Error).message}`);
}

runtime.ready({
  drain: async (graceMs, reason) => {
    logs.error.info({ reason }, 'worker draining');
    await host.drain(graceMs);
    logs.flush();
  },
  collect: (kind) => (kind === 'metrics' ? metrics.snapshot() : null),
  reopenLogs: () => logs.reopen(),
  flush: () => logs.flush(),
});
logs.error.debug({ kind: loaded.kind, generation: runtime.generation }, 'worker ready');
