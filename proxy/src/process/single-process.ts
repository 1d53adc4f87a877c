import type { Logger } from 'pino';
import { messageOf } from '@tsgi/errors';
import { startAdminServer, type AdminSources } from '../admin/admin-server.js';
import type { ProxyConfig } from '../config/config.js';
import { ProxyWorker } from './proxy-worker.js';
import { refuseEmptyingReload } from '../upstream/upstream-names.js';
import { OverrideStore } from '../upstream/endpoint-overrides.js';

/** How the running proxy re-reads its config on SIGHUP (throws ConfigError on a bad file). */
export type ConfigReader = () => ProxyConfig;

/**
 * Runs the proxy in this process (`workers: 1`): listeners, admin server,
 * SIGHUP re-read (a bad file, or a new listener or admin address that cannot
 * be bound, keeps the old config and logs why; listeners and the admin port
 * are rebound as nginx does), SIGTERM graceful drain, SIGINT/SIGQUIT fast
 * stop. Resolves with the exit code.
 */
export async function runSingleProcess(config: ProxyConfig, readConfig: ConfigReader, log: Logger, adminToken: string | null = null): Promise<number> {
  const worker = new ProxyWorker(config, log);
  const bound = await worker.start();
  const overrides = new OverrideStore();
  const sources: AdminSources = {
    metrics: async () => ({ contentType: worker.metrics.registry.contentType, body: await worker.metrics.registry.metrics() }),
    upstreams: async () => worker.snapshot(),
    ready: () => !worker.draining,
    state: () => (worker.draining ? 'draining' : 'ok'),
    control: {
      token: adminToken,
      endpoints: async (group) => worker.groups.get(group)?.endpoints.map((e) => e.id) ?? null,
      set: (group, endpoint, change) => {
        const o = overrides.set(group, endpoint, change);
        log.info({ group, endpoint, state: o.state, weight: o.weight }, 'admin: endpoint override set');
        worker.setOverrides(overrides.list());
        return o;
      },
      reload: () => process.kill(process.pid, 'SIGHUP'),
    },
  };
  let admin: AdminServer | null = config.admin.address === null ? null : await startAdminServer(config.admin.address, sources);
  log.info(
    { listeners: bound.map((b) => `${b.host}:${b.port}`), admin: admin === null ? null : `${admin.host}:${admin.port}`, workers: 1 },
    'tsgi-proxy listening',
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const finish = (code: number): void => {
      process.off('SIGHUP', onHup);
      closeAdmin(admin);
      log.info({ code }, 'tsgi-proxy stopped');
      log.flush();
      resolve(code);
    };
    const reload = async (): Promise<void> => {
      if (stopping) return;
      let next: ProxyConfig;
      try {
        next = readConfig();
      } catch (err) {
        log.error({ err: messageOf(err) }, 'reload refused; keeping the running config');
        return;
      }
      try {
        await refuseEmptyingReload(next, (group) => (worker.groups.get(group)?.endpoints.length ?? 0) > 0);
      } catch (err) {
        log.error({ err: messageOf(err) }, 'reload refused; keeping the running config');
        return;
      }
      if (next.workers !== worker.config.workers) {
        log.warn({ kept: ['workers'] }, 'reload: workers changed; a single-process proxy applies it only at start (restart to run under a master)');
      }
      // The admin port moves like a listener: bound before anything changes, the old one closed once the rest applied.
      const adminMoves = next.admin.address !== worker.config.admin.address;
      let nextAdmin: AdminServer | null = admin;
      try {
        const moved = await worker.reload(next, async () => {
          if (adminMoves) nextAdmin = next.admin.address === null ? null : await startAdminServer(next.admin.address, sources);
        });
        if (adminMoves) {
          closeAdmin(admin);
          admin = nextAdmin;
        }
        if (moved.added.length > 0 || moved.removed.length > 0 || adminMoves) {
          log.info({ listenersAdded: moved.added, listenersRemoved: moved.removed, admin: admin === null ? null : `${admin.host}:${admin.port}` }, 'reload: listeners rebound');
        }
      } catch (err) {
        if (nextAdmin !== admin) closeAdmin(nextAdmin);
        log.error({ err: messageOf(err) }, 'reload refused; keeping the running config');
      }
    };
    // One reload at a time: a HUP during a reload's binds waits its turn.
    let reloads = Promise.resolve();
    const onHup = (): void => {
      reloads = reloads.then(reload);
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

type AdminServer = Awaited<ReturnType<typeof startAdminServer>>;

function closeAdmin(admin: AdminServer | null): void {
  admin?.server.close();
  admin?.server.closeAllConnections();
}
