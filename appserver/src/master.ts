import { existsSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import { fileURLToPath } from 'node:url';
import { Arbiter, ArbiterCrashError, ArbiterHaltError, EXIT, MasterServices, type MemoryLimit } from '@tsgi/arbiter';
import { ForwardedTrust, watchForReload, type ReloadWatch } from '@tsgi/gateway';
import { messageOf } from '@tsgi/errors';
import { checkAppModule, loadApp, parseAppSpec } from './app-loader.js';
import { loadConfig, type AppserverConfig, type LoadedConfig } from './config.js';
import { AppLoadError, BindError, ConfigError } from './errors.js';
import {
  clearStaleUnixSocket,
  describeTarget,
  parseBind,
  reusePortSupported,
  type ListenTarget,
} from './listen-targets.js';
import { createAnnouncer, createLogs } from './logger.js';
import { checkOutputFiles, removeOwnPidFile } from './output-files.js';
import { SUMMED_GAUGES } from './worker-metrics.js';
import { SETTINGS } from './settings.js';
import { logLostHandovers } from './handover-warnings.js';
import { StickyListener } from './sticky-listener.js';
import { warnSessionsWithoutAffinity } from './session-affinity-warning.js';
import { ControlServer } from './control/control-server.js';
import type { WorkerData } from './worker-data.js';

const here = fileURLToPath(import.meta.url);
const WORKER_MODULE = here.replace(/master\.(ts|js)$/, (_m, ext: string) => `worker.${ext}`);

/** Codes a worker reports that mean "the app spec is wrong" (usage error, exit 2), not "the app crashed loading" (4). */
const USAGE_APP_ERRORS = new Set(['APP_ERR_APP_MODULE_NOT_FOUND', 'APP_ERR_APP_EXPORT_MISSING', 'APP_ERR_APP_INTERFACE_UNKNOWN', 'APP_ERR_APP_DEBUG']);

/** Prints one line to stderr and gives the exit code for an error raised before or while starting. */
export function reportStartupError(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    return EXIT.USAGE;
  }
  if (err instanceof AppLoadError) {
    process.stderr.write(`tsgi-appserver: App failed to load: ${err.message}\n`);
    return err.code === 'APP_ERR_APP_IMPORT_FAILED' ? EXIT.APP_LOAD_ERROR : EXIT.USAGE;
  }
  if (err instanceof BindError) {
    process.stderr.write(`tsgi-appserver: ${err.message}\n`);
    return EXIT.WORKER_BOOT_ERROR;
  }
  if (err instanceof ArbiterHaltError) {
    process.stderr.write(`tsgi-appserver: ${err.message}\n`);
    if (err.workerErrorCode && USAGE_APP_ERRORS.has(err.workerErrorCode)) return EXIT.USAGE;
    return err.exitCode;
  }
  if (err instanceof ArbiterCrashError) {
    process.stderr.write(`tsgi-appserver: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`tsgi-appserver: ${messageOf(err)}\n`);
  return EXIT.FAILURE;
}

/**
 * Runs the appserver master until it stops; resolves the process exit code.
 * Opens nothing before the config and app module checked out.
 */
export async function runMaster(loaded: LoadedConfig, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let config = loaded.config;
  checkAppModule(config.app!, config.cwd);
  if (config.socketModel === 'reuse-port' && !reusePortSupported()) {
    throw new ConfigError('socketModel', `config: socket-model reuse-port needs Node >= 22.12, this is ${process.versions.node} (from ${loaded.sources.socketModel})`);
  }
  // Imported once here, before any log, socket or worker exists, with or without --preload: a missing
  // module, a missing export or an import that throws is one line and exit 2/4 instead of a worker
  // boot loop's log lines. Node cannot fork a loaded app, so workers import it again (README).
  await loadApp(config.app!, config.cwd, config.interface, config.allowDebug);
  checkOutputFiles(config, loaded.sources);
  for (const extra of config.reload ? config.reloadExtraFile : []) {
    // Its folder is what is watched (editors save by rename): it must exist before anything opens.
    if (!existsSync(dirname(resolve(config.cwd, extra)))) throw new ConfigError('reloadExtraFile', `config: reload-extra-file ${extra}: its folder does not exist (from ${loaded.sources.reloadExtraFile})`);
  }

  const logs = createLogs(config, 'master');
  warnSessionsWithoutAffinity(config, logs.error);
  const binds = config.bind.map(parseBind);
  for (const t of binds) if ('path' in t) await clearStaleUnixSocket(t.path, '--bind');
  let arbiter: Arbiter | undefined;
  // Port-0 picks, the metrics port and the metrics ledger: the arbiter's helper, the same as tsgi-proxy's master.
  const services = new MasterServices({ summedGauge: (name) => SUMMED_GAUGES.has(name) });
  // Sockets before workers, as gunicorn binds before it forks: a port-0 pick is held from here on.
  const proxyPeers = config.proxyProtocolFrom.length > 0 ? new ForwardedTrust(config.proxyProtocolFrom) : undefined;
  const sticky = config.sticky ? new StickyListener(binds, () => arbiter?.workers ?? [], logs.error, proxyPeers) : undefined;
  let targets: readonly ListenTarget[];
  if (sticky) {
    logLostHandovers(logs.error);
    await sticky.listen();
    targets = sticky.bound;
  } else {
    const reusePort = config.socketModel === 'reuse-port';
    targets = await services.reservePorts(binds, (i, err) => new BindError('--bind', describeTarget(binds[i] as ListenTarget), err), { reusePort });
  }
  // Under node:cluster the master binds for the workers, so they ask for the pick to close first.
  const clusterBinds = !sticky && config.socketModel !== 'reuse-port';

  let metricsUrl: string | undefined;
  if (config.metricsBind) {
    const mt = parseBind(config.metricsBind);
    if ('path' in mt) await clearStaleUnixSocket(mt.path, '--metrics-bind');
    try {
      const { bound } = await services.startStatus(mt);
      metricsUrl = describeTarget('path' in bound || 'path' in mt ? mt : { host: mt.host, port: bound.port });
    } catch (err) {
      sticky?.close();
      await services.close();
      throw new BindError('--metrics-bind', describeTarget(mt), err);
    }
  }
  const control = config.controlSocket ? new ControlServer(config.controlSocket, () => arbiter) : undefined;
  await control?.listen();
  if (config.pid) writeFileSync(config.pid, `${process.pid}\n`);

  arbiter = new Arbiter({
    workerModule: WORKER_MODULE,
    workers: config.workers,
    timeoutMs: Math.round(config.timeout * 1000),
    gracefulTimeoutMs: Math.round(config.gracefulTimeout * 1000),
    memoryLimit: memoryLimit(config),
    scheduling: config.socketModel === 'round-robin' ? 'round-robin' : 'shared',
    logger: logs.error,
    // --reload: files broken on disk halt nothing; the next change reloads.
    onBootFailure: config.reload ? 'wait' : 'halt',
    workerData: (): WorkerData => ({ config, targets: [...targets], awaitPortRelease: clusterBinds && services.reservation.held }),
    hooks: {
      reload: async () => {
        const next = await loadConfig(argv, env, config.cwd);
        const merged = keepFixedSettings(config, next.config, logs.error);
        // Checked before it is taken: a cancelled reload must leave later respawns on the old config.
        checkAppModule(merged.app!, merged.cwd);
        checkOutputFiles(merged, next.sources);
        config = merged;
        return {
          workers: config.workers,
          timeoutMs: Math.round(config.timeout * 1000),
          gracefulTimeoutMs: Math.round(config.gracefulTimeout * 1000),
          memoryLimit: memoryLimit(config),
        };
      },
      reopenLogs: () => logs.reopen(),
      ...services.hooks(),
    },
  });
  services.attach(arbiter);

  let watcher: ReloadWatch | undefined;
  const cleanup = (): void => {
    watcher?.close();
    sticky?.close();
    void services.close();
    control?.close();
    if (config.pid) removeOwnPidFile(config.pid);
  };

  if (config.reload) watcher = startReloadWatch(config, arbiter, logs.error);
  try {
    await arbiter.start();
  } catch (err) {
    const exit = await arbiter.done;
    cleanup();
    if (exit.error) return reportStartupError(exit.error);
    if (err instanceof ArbiterHaltError) return reportStartupError(err);
    return exit.code;
  }
  // reuse-port: every worker is in the SO_REUSEPORT group now; sticky: a worker is there to take connections.
  await services.reservation.release();
  sticky?.open();
  // Each announcement once, on stdout (JSON or human as the console is), whatever --log-level.
  const announce = createAnnouncer();
  for (const t of targets) announce.info({ bind: describeTarget(t) }, `Listening at: ${describeTarget(t)} (${process.pid})`);
  if (metricsUrl) announce.info(`Metrics at: ${metricsUrl}/metrics`);
  announce.info(`Ready: ${config.workers} worker(s), socket model ${config.sticky ? 'sticky' : config.socketModel}`);

  const exit = await arbiter.done;
  cleanup();
  if (exit.error) return reportStartupError(exit.error);
  return exit.code;
}

/**
 * `--reload`: each burst of changes under the app module's directory (or to a
 * --reload-extra-file) is a HUP: a new worker generation loads the new code;
 * one that fails to load is rolled back by the arbiter, the old one serving.
 */
function startReloadWatch(config: Readonly<AppserverConfig>, arbiter: Arbiter, log: Logger): ReloadWatch {
  const appDir = dirname(parseAppSpec(config.app!, config.cwd).file);
  const watcher = watchForReload(
    appDir,
    config.reloadExtraFile,
    config.cwd,
    (files) => {
      log.info({ files: files.map((f) => relative(config.cwd, f) || f) }, `change detected, reloading: ${files.map((f) => relative(appDir, f)).join(', ')}`);
      arbiter.signal('SIGHUP');
    },
    (err) => log.error({ err }, `--reload: watching stopped: ${err.message}`),
  );
  log.info({ dir: appDir, extraFiles: config.reloadExtraFile }, `--reload: watching ${appDir}`);
  return watcher;
}

/** --max-worker-memory (RSS, MB), --max-worker-heap-fraction and --max-worker-memory-beats for the arbiter. */
function memoryLimit(config: Readonly<AppserverConfig>): MemoryLimit {
  return { maxRssBytes: config.maxWorkerMemory * 1024 * 1024, maxHeapFraction: config.maxWorkerHeapFraction, beats: config.maxWorkerMemoryBeats };
}

function keepFixedSettings(
  current: Readonly<AppserverConfig>,
  next: Readonly<AppserverConfig>,
  log: { warn(o: object, m: string): void },
): Readonly<AppserverConfig> {
  const merged: AppserverConfig = { ...next };
  for (const s of SETTINGS) {
    if (s.reloadable) continue;
    if (JSON.stringify(next[s.key]) !== JSON.stringify(current[s.key])) {
      log.warn({ setting: s.key }, `${s.flag.slice(2)} cannot change on reload; restart the master to apply it`);
      Object.assign(merged, { [s.key]: current[s.key] });
    }
  }
  return Object.freeze(merged);
}
