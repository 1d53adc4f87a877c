import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { Arbiter, MasterServices, type MemoryLimit, type StatusServer, type StatusTarget } from '@tsgi/arbiter';
import { adminRoutes } from '../admin/admin-routes.js';
import { parseAddress, type ProxyConfig } from '../config/config.js';
import { TlsContexts } from '../listener/tls-contexts.js';
import { bindError } from '../errors.js';
import { isSummedGauge } from './metrics.js';
import { refuseEmptyingReload } from '../upstream/upstream-names.js';
import { OverrideStore, isOverridesRequest } from '../upstream/endpoint-overrides.js';
import { configuredAnswers, type WorkerUpstreams } from './proxy-worker.js';

/** How the running proxy re-reads its config on HUP (throws ConfigError on a bad file). */
export type ConfigReader = () => ProxyConfig;

/**
 * Runs tsgi-proxy under @tsgi/arbiter's Arbiter, whatever `workers` says (the
 * same pre-fork master as tsgi-appserver: `workers: 1` is one master and one
 * worker). The master owns the admin port and merges every worker's metrics
 * (in a MetricsLedger, so counters never go back when a worker dies or a
 * reload replaces it) and upstream views. HUP re-reads the config and the
 * arbiter replaces the workers generation by generation, so no connection is
 * dropped. Resolves with the exit code.
 */
export async function runMaster(config: ProxyConfig, readConfig: ConfigReader, log: Logger, adminToken: string | null = null): Promise<number> {
  let arbiter: Arbiter | undefined;
  const views = async (): Promise<(WorkerUpstreams | null)[]> => ((await arbiter?.collect('upstreams')) ?? []) as (WorkerUpstreams | null)[];
  // The admin API's endpoint overrides live here: every worker gets the whole list on each change, a new one
  // (more workers, a HUP's new generation) gets it in workerData and asks again once ready.
  const overrides = new OverrideStore();
  const sendOverrides = (): void => arbiter?.broadcast({ tsgiProxy: 'overrides', list: overrides.list() });
  let current = config;
  const services = new MasterServices({
    summedGauge: isSummedGauge,
    extension: adminRoutes(async () => ({ workers: await views() }), {
      token: adminToken,
      endpoints: async (group) => {
        if (!Object.hasOwn(current.upstreams, group)) return null;
        return [...new Set((await views()).flatMap((v) => (v?.upstreams[group]?.endpoints ?? []).map((e) => String(e.address))))];
      },
      set: async (group, endpoint, change) => {
        const o = overrides.set(group, endpoint, change);
        log.info({ group, endpoint, state: o.state, weight: o.weight }, 'admin: endpoint override set');
        sendOverrides();
        // IPC keeps order: a worker that answers this collect has applied the list sent before it.
        await views();
        return o;
      },
      reload: () => arbiter?.signal('SIGHUP'),
    }),
  });
  // Workers of every generation must share one port, so port 0 is resolved here once, per listener: two
  // listeners both on `host:0` get two ports (keyed by the address alone they shared one, EADDRINUSE).
  const ports = new Map<string, string>();
  await pickPorts(services, listenerKeys(config), ports);
  current = pinPorts(config, ports);
  // The admin port before any worker, as gunicorn binds before it forks: one that cannot bind leaves nothing running.
  let admin: StatusServer | null = null;
  if (current.admin.address !== null) {
    try {
      admin = await services.startStatus(adminTarget(current.admin.address));
    } catch (err) {
      await services.close();
      throw bindError('admin.address', current.admin.address, err);
    }
  }
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  arbiter = new Arbiter({
    workerModule: fileURLToPath(new URL(`./worker-main${ext}`, import.meta.url)),
    workers: current.workers,
    timeoutMs: 30_000,
    gracefulTimeoutMs: current.timeouts.drain,
    memoryLimit: memoryLimit(current),
    logger: log,
    workerData: () => ({ config: current, awaitPortRelease: services.reservation.held, overrides: overrides.list() }),
    hooks: {
      ...services.hooks((_w, data) => {
        if (isOverridesRequest(data)) sendOverrides();
      }),
      reload: async () => {
        const read = readConfig();
        // A group that serves now must not lose every endpoint to a name that does not resolve (throws: the reload is cancelled).
        const seen = await views();
        await refuseEmptyingReload(read, (group) => seen.some((v) => (v?.upstreams[group]?.endpoints.length ?? 0) > 0));
        // A listener the reload adds on port 0 gets its port here, as at start, so every worker of the new
        // generation shares it and the log can say where it is.
        const picked = await pickPorts(services, listenerKeys(read).filter((k) => !ports.has(k.key)), ports);
        const undo = async (): Promise<void> => {
          for (const k of picked) ports.delete(k);
          await services.reservation.release();
        };
        const next = pinPorts(read, ports);
        try {
          // Workers of the new generation read the certificates and error pages at boot: refuse the reload here if any is bad, so the running ones stay.
          for (const l of next.listeners) if (l.tls !== undefined) new TlsContexts(l.tls);
          configuredAnswers(next);
          // The admin port moves like a listener: the new one bound before anything changes, the old one closed.
          if (next.admin.address !== current.admin.address) {
            admin = await moveAdmin(services, next.admin.address);
            log.info({ admin: describe(admin) }, 'reload: admin port moved');
          }
        } catch (err) {
          await undo();
          throw err;
        }
        const before = new Set(current.listeners.map((l) => l.address));
        const after = new Set(next.listeners.map((l) => l.address));
        const added = [...after].filter((a) => !before.has(a));
        const removed = [...before].filter((a) => !after.has(a));
        if (added.length > 0 || removed.length > 0) {
          log.info({ listenersAdded: added, listenersRemoved: removed }, 'reload: the new workers listen on the new addresses; the old ones close theirs as they drain');
        }
        current = next;
        return { workers: current.workers, gracefulTimeoutMs: current.timeouts.drain, memoryLimit: memoryLimit(current) };
      },
    },
  });
  services.attach(arbiter);
  try {
    await arbiter.start();
  } catch (err) {
    await services.close();
    throw err;
  }
  await services.reservation.release(); // normally done: the first worker asked before it listened
  log.info({ listeners: current.listeners.map((l) => l.address), admin: describe(admin), workers: current.workers }, 'tsgi-proxy listening');
  const exit = await arbiter.done;
  await services.close();
  log.info({ code: exit.code, reason: exit.reason }, 'tsgi-proxy stopped');
  log.flush();
  return exit.code;
}

type Listener = ProxyConfig['listeners'][number];

/** A listener, its index in the config and its key: its address and how many listeners before it have the same one (`host:0#1`). */
interface KeyedListener {
  index: number;
  key: string;
  listener: Listener;
}

/** Picks a port for each `host:0` listener in `keyed` and records it in `ports`; resolves the keys it added. */
async function pickPorts(services: MasterServices, keyed: KeyedListener[], ports: Map<string, string>): Promise<string[]> {
  const targets = keyed.map((k) => parseAddress(k.listener.address) as { host: string; port: number });
  const picked = await services.reservePorts(targets, (i, err) => bindError(`listeners.${keyed[i]?.index ?? i}.address`, keyed[i]?.listener.address ?? '', err));
  const added: string[] = [];
  for (const [i, t] of picked.entries()) {
    const k = keyed[i] as KeyedListener;
    if (!k.listener.address.endsWith(':0')) continue;
    ports.set(k.key, t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`);
    added.push(k.key);
  }
  return added;
}

async function moveAdmin(services: MasterServices, address: string | null): Promise<StatusServer | null> {
  try {
    return await services.moveStatus(address === null ? null : adminTarget(address));
  } catch (err) {
    throw bindError('admin.address', address ?? '', err);
  }
}

function adminTarget(address: string): StatusTarget {
  return parseAddress(address) as { host: string; port: number };
}

function describe(admin: StatusServer | null): string | null {
  if (admin === null || 'path' in admin.bound) return null;
  return `${admin.bound.host}:${admin.bound.port}`;
}

function listenerKeys(config: ProxyConfig): KeyedListener[] {
  const seen = new Map<string, number>();
  return config.listeners.map((listener, index) => {
    const n = seen.get(listener.address) ?? 0;
    seen.set(listener.address, n + 1);
    return { index, key: `${listener.address}#${n}`, listener };
  });
}

function pinPorts(config: ProxyConfig, ports: Map<string, string>): ProxyConfig {
  return { ...config, listeners: listenerKeys(config).map(({ key, listener }) => ({ ...listener, address: ports.get(key) ?? listener.address })) };
}

/** `workerMemory` for the arbiter (same rule as tsgi-appserver's --max-worker-memory). */
function memoryLimit(config: ProxyConfig): MemoryLimit {
  return { maxRssBytes: config.workerMemory.maxRss, maxHeapFraction: config.workerMemory.maxHeapFraction, beats: config.workerMemory.beats };
}
