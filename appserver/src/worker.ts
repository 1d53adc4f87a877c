/**
 * The appserver's worker process (the Arbiter's `workerModule`): loads the
 * app, hosts it on one server per bind (or takes connections the master
 * hands over with --sticky), reports to the master.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import type { Socket } from 'node:net';
import { createServer, fromFetch, type App, type TsgiServer } from '@tsgi/gateway';
import { asError } from '@tsgi/errors';
import { loadApp, type LoadedApp } from './app-loader.js';
import { AppLoadError } from './errors.js';
import { FdLimitWatch } from './fd-limit-watch.js';
import { describeTarget, listenOptions } from './listen-targets.js';
import { createLogs } from './logger.js';
import { NodeHost } from './node-host.js';
import { RequestObserver } from './request-observer.js';
import { ShutdownHooks } from './shutdown-hooks.js';
import { isStickyHandover, restoreHandedOver } from './sticky-listener.js';
import type { WorkerData } from './worker-data.js';
import { WorkerMetrics } from './worker-metrics.js';
import { ArbiterError, EXIT, MetricsReporter, RequestTracing, startWorkerRuntime, waitForPortRelease } from '@tsgi/arbiter';
import { RequestSpans } from './request-spans.js';

const UNLIMITED = 1 << 20;
/** Drain budget when the worker got SIGTERM itself (fast stop): leaves the hooks ~0.5 s before the master's SIGKILL. */
const FAST_STOP_DRAIN_MS = 300;

const runtime = await startWorkerRuntime<WorkerData>({ watchdogFd: -1 });
const { config, targets } = runtime.data;
const logs = createLogs(config, 'worker');
runtime.startWatchdog(logs.errorFd);
runtime.configureMaxRequests(config.maxRequests, config.maxRequestsJitter);
const shutdownHooks = new ShutdownHooks();

/** Set once the worker reported ready: before that, anything thrown is a boot failure (gunicorn's rule), never a respawn. */
let booted = false;
/** The listen error, once one of our servers failed to bind: what a boot failure reports, whoever re-threw it. */
let bindError: Error | undefined;

function bindFailure(err: Error): never {
  return runtime.fail(
    EXIT.WORKER_BOOT_ERROR,
    'APP_ERR_BIND_FAILED',
    `cannot listen on ${targets.map(describeTarget).join(', ')} (--bind): ${err.message}`,
  );
}

process.on('uncaughtException', (err) => {
  if (!booted) {
    // E.g. `ws` attached in onServer re-emits the server's bind error on a WebSocketServer with no `error` listener.
    if (bindError !== undefined) bindFailure(bindError);
    logs.error.fatal({ err }, `worker failed to boot: uncaught exception: ${err.message}`);
    logs.flush();
    runtime.fail(EXIT.WORKER_BOOT_ERROR, 'APP_ERR_BOOT_FAILED', `uncaught exception before the worker was ready: ${err.message}`);
  }
  logs.error.fatal({ err }, `uncaught exception, worker exiting: ${err.message}`);
  logs.flush();
  process.exit(EXIT.FAILURE);
});
process.on('unhandledRejection', (reason) => {
  logs.error.error({ err: reason }, 'unhandled promise rejection in the app');
});

async function load(): Promise<LoadedApp> {
  try {
    return await loadApp(config.app!, config.cwd, config.interface, config.allowDebug);
  } catch (err) {
    const e = err instanceof AppLoadError ? err : new AppLoadError('APP_ERR_APP_IMPORT_FAILED', String(err));
    return runtime.fail(EXIT.APP_LOAD_ERROR, e.code, e.message);
  }
}
const loaded = await load();

/** OpenTelemetry traces when OTEL_EXPORTER_OTLP_*ENDPOINT asks for them; a worker that cannot load them does not boot. */
async function startTracing(): Promise<RequestTracing | null> {
  try {
    return await RequestTracing.start('tsgi-appserver');
  } catch (err) {
    const code = err instanceof ArbiterError ? err.code : 'APP_ERR_BOOT_FAILED';
    return runtime.fail(EXIT.WORKER_BOOT_ERROR, code, (err as Error).message);
  }
}
if (loaded.kind !== 'node' && (loaded.hooks.onServer || loaded.hooks.upgrade)) {
  logs.error.warn({ kind: loaded.kind }, `the app module's onServer/upgrade exports apply to Node listeners only (--interface node); this ${loaded.kind} app runs without them`);
}

const metrics = new WorkerMetrics(
  () => host.inFlight(),
  () => host.upgradedOpen(),
);
const tracing = await startTracing();
const observer = new RequestObserver(runtime, metrics, logs, config.accessLogformat, tracing === null ? null : new RequestSpans(tracing));
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
  upgradedOpen(): number;
  /** A connection the master accepted for bind `index` (--sticky). */
  adopt(index: number, socket: Socket): void;
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
  // --sticky: the servers never listen, so their drain cannot wait for a close event; count the handed-over sockets.
  const adopted = new Set<Socket>();
  let allGone: (() => void) | undefined;
  return {
    servers,
    inFlight: () => servers.reduce((n, s) => n + s.inFlight, 0),
    upgradedOpen: () => 0,
    adopt: (index, socket) => {
      adopted.add(socket);
      socket.once('close', () => {
        adopted.delete(socket);
        if (adopted.size === 0) allGone?.();
      });
      servers[index]!.emit('connection', socket);
      socket.resume();
    },
    drain: async (graceMs) => {
      const drained = Promise.all(servers.map((s) => s.drain(graceMs)));
      if (!config.sticky) return void (await drained);
      const closed = new Promise<void>((resolve) => (adopted.size === 0 ? resolve() : (allGone = resolve)));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, graceMs + 100)))]);
      clearTimeout(timer);
    },
  };
}

async function nodeHost(app: Extract<LoadedApp, { kind: 'node' }>): Promise<Host> {
  const host = new NodeHost(app, { ...limits, keepAliveTimeoutMs, headersTimeoutMs }, observer, logs.error);
  const servers: HttpServer[] = [];
  for (let i = 0; i < targets.length; i++) servers.push(await host.createServer());
  return {
    servers,
    inFlight: () => host.inFlight,
    upgradedOpen: () => host.upgraded.size,
    adopt: (index, socket) => host.adopt(servers[index]!, socket),
    drain: (graceMs) => host.drain(graceMs),
  };
}

const host: Host =
  loaded.kind === 'node' ? await nodeHost(loaded) : tsgiHost(loaded.kind === 'fetch' ? fromFetch(loaded.handler) : loaded.app);
const fdWatch = new FdLimitWatch(logs.error);
for (const s of host.servers) fdWatch.attach(s);

if (config.sticky) {
  // The master accepts and hands each connection to the worker its client address hashes to.
  for (const s of host.servers) s.emit('listening');
  process.on('message', (msg: unknown, handle: unknown) => {
    if (isStickyHandover(msg) && handle) host.adopt(msg.bind, restoreHandedOver(handle as Socket, msg));
  });
} else {
  const reusePort = config.socketModel === 'reuse-port';
  if (runtime.data.awaitPortRelease) await waitForPortRelease((data) => runtime.sendCustom(data));
  try {
    await Promise.all(
      host.servers.map(
        (server, i) =>
          new Promise<void>((resolve, reject) => {
            // First in line: listeners the app attached (onServer) may throw when they see the error.
            const failed = (err: Error): void => {
              bindError ??= err;
              reject(err);
            };
            server.prependOnceListener('error', failed);
            server.listen(listenOptions(targets[i]!, reusePort), () => {
              server.off('error', failed);
              resolve();
            });
          }),
      ),
    );
  } catch (err) {
    bindFailure(asError(err));
  }
}

// Answers every scrape, pushes a report each second while counts change (so a worker killed with -9 loses at most
// its last second of counts) and sends a final one before exiting: @tsgi/arbiter's MetricsLedger in the master.
const reporter = new MetricsReporter(() => metrics.snapshot(), () => metrics.changes);
if (config.metricsBind) reporter.start();

runtime.ready({
  drain: async (graceMs, reason) => {
    // A SIGTERM of our own is the master's fast stop (INT/QUIT), SIGKILL 1 s behind: drain briefly so the hooks still run.
    const fast = shutdownHooks.signalled;
    const drainMs = fast ? Math.min(graceMs, FAST_STOP_DRAIN_MS) : graceMs;
    const deadline = Date.now() + drainMs;
    logs.error.info({ reason }, 'worker draining');
    await host.drain(drainMs);
    await reporter.report();
    // The spans of the last requests are still in the batch: send them before the worker exits.
    await tracing?.shutdown(Math.min(2000, deadline - Date.now()));
    await shutdownHooks.run(loaded, reason, deadline - Date.now(), logs.error);
    logs.flush();
  },
  // QUIT: no drain, only the app's hooks (the master's fast stop kills 1 s later).
  quit: async () => {
    await reporter.report();
    await shutdownHooks.run(loaded, 'quit', 400, logs.error);
    logs.flush();
  },
  collect: (kind) => (kind === 'metrics' ? reporter.collect() : null),
  reopenLogs: () => logs.reopen(),
  flush: () => logs.flush(),
});
booted = true;
logs.error.debug({ kind: loaded.kind, generation: runtime.generation }, 'worker ready');
