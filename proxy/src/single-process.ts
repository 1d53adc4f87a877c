import type { Logger } from 'pino';
import { startAdminServer } from './admin-server.js';
import type { ProxyConfig } from './config.js';
import { ProxyWorker } from './proxy-worker.js';

/** How the running proxy re-reads its config on SIGHUP (throws ConfigError on a bad file). */
export type ConfigReader = () => ProxyConfig;

/**
 * Runs the proxy in this process (`workers: 1`): listeners, admin server,
 * SIGHUP re-read (a bad file keeps the old config and logs why), SIGTERM
 * graceful drain, SIGINT/SIGQUIT fast stop. Resolves with the exit code.
 */
export async function runSingleProcess(config: ProxyConfig, readConfig: ConfigReader, log: Logger): Promise<number> {
  const worker = new ProxyWorker(config, log);
  const bound = await worker.start();
  let admin: Awaited<ReturnType<typeof startAdminServer>> | null = null;
  if (config.admin.address !== null) {
    admin = await startAdminServer(config.admin.address, {
      metrics: async () => ({ contentType: worker.metrics.registry.contentType, body: await worker.metrics.registry.metrics() }),
      upstreams: async () => worker.snapshot(),
      ready: () => !worker.draining,
      state: () => (worker.draining ? 'draining' : 'ok'),
    });
  }
  log.info(
    { listeners: bound.map((b) => `${b.host}:${b.port}`), admin: admin === null ? null : `${admin.host}:${admin.port}`, workers: 1 },
    'tsgi-proxy listening',
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const finish = (code: number): void => {
      process.off('SIGHUP', onHup);
      admin?.server.close();
      admin?.server.closeAllConnections();
      log.info({ code }, 'tsgi-proxy stopped');
      log.flush();
      resolve(code);
    };
    const onHup = (): void => {
      let next: ProxyConfig;
      try {
        next = readConfig();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'reload refused; keeping the running config');
        return;
      }
      const kept = restartOnly(worker.config, next);
      if (kept.length > 0) log.warn({ kept }, `reload: ${kept.join(', ')} changed; a single-process proxy applies ${kept.length > 1 ? 'these' : 'it'} only at start (restart, or run --workers 2 to reload them)`);
      worker.reload(next).catch((err: Error) => log.error({ err: err.message }, 'reload failed'));
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', () => {
      if (stopping) return;
      stopping = true;
      log.info({ graceMs: worker.config.timeouts.drain }, 'SIGTERM: draining');
      void worker.drain(worker.config.timeouts.drain).then(() => finish(0));
    });
    const fast = (): void => {
      if (stopping) return;
      stopping = true;
      worker.stop();
      finish(0);
    };
    process.once('SIGINT', fast);
    process.once('SIGQUIT', fast);
  });
}

/** The keys a HUP cannot apply in one process (its sockets are bound once): named so an operator is not left guessing. */
function restartOnly(running: ProxyConfig, next: ProxyConfig): string[] {
  const kept: string[] = [];
  if (JSON.stringify(running.listeners) !== JSON.stringify(next.listeners)) kept.push('listeners');
  if (running.admin.address !== next.admin.address) kept.push('admin.address');
  if (running.workers !== next.workers) kept.push('workers');
  return kept;
}
