import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { Arbiter, MetricsLedger, PortReservation, registerDefaultMetrics, type MemoryLimit } from '@tsgi/arbiter';
import { startAdminServer } from '../admin/admin-server.js';
import { parseAddress, type ProxyConfig } from '../config/config.js';
import type { ConfigReader } from './single-process.js';
import { TlsContexts } from '../listener/tls-contexts.js';
import { bindError } from '../errors.js';
import { isSummedGauge } from './metrics.js';
import { refuseEmptyingReload } from '../upstream/upstream-names.js';
import { OverrideStore, isOverridesRequest } from '../upstream/endpoint-overrides.js';
import { configuredAnswers, type WorkerUpstreams } from './proxy-worker.js';

/**
 * Runs `workers` proxy workers under @tsgi/arbiter's Arbiter (the same
 * pre-fork master as tsgi-appserver). The master owns the admin port and
 * merges every worker's metrics (in a MetricsLedger, so counters never go
 * back when a worker dies or a reload replaces it) and upstream views. HUP re-reads the config
 * and the arbiter replaces the workers generation by generation, so no
 * connection is dropped. Resolves with the exit code.
 */
export async function runMaster(config: ProxyConfig, readConfig: ConfigReader, log: Logger, adminToken: string | null = null): Promise<number> {
  // Workers of every generation must share one port, so port 0 is resolved here once, per listener: two
  // listeners both on `host:0` get two ports (keyed by the address alone they shared one, EADDRINUSE).
  // The pick stays bound until the first worker is about to listen (PortReservation), so no neighbour takes it.
  const reservation = new PortReservation();
  const ports = new Map<string, string>();
  for (const [i, [key, l]] of listenerKeys(config).entries()) {
    try {
      ports.set(key, await concrete(l.address, reservation));
    } catch (err) {
      await reservation.release();
      throw bindError(`listeners.${i}.address`, l.address, err);
    }
  }
  let current = pinPorts(config, ports);
  const ledger = new MetricsLedger({ summedGauge: isSummedGauge });
  // The master's own process metrics: process_start_time_seconds without `pid` is the master's start.
  const own = new Registry();
  registerDefaultMetrics(own);
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  // The admin API's endpoint overrides live here: every worker gets the whole list on each change, a new one
  // (more workers, a HUP's new generation) gets it in workerData and asks again once ready.
  const overrides = new OverrideStore();
  const sendOverrides = (): void => arbiter.broadcast({ tsgiProxy: 'overrides', list: overrides.list() });
  const arbiter = new Arbiter({
    workerModule: fileURLToPath(new URL(`./worker-main${ext}`, import.meta.url)),
    workers: current.workers,
    timeoutMs: 30_000,
    gracefulTimeoutMs: current.timeouts.drain,
    memoryLimit: memoryLimit(current),
    logger: log,
    workerData: () => ({ config: current, awaitPortRelease: reservation.held, overrides: overrides.list() }),
    hooks: {
      workerSpawned: (w) => ledger.spawned(w.pid),
      workerExited: (w) => ledger.retire(w.pid),
      message: (_w, data) => {
        if (isOverridesRequest(data)) return sendOverrides();
        if (!reservation.answer(data, (answer) => arbiter.broadcast(answer))) void ledger.recordMessage(data);
      },
      reload: async () => {
        const read = readConfig();
        // A group that serves now must not lose every endpoint to a name that does not resolve (throws: the reload is cancelled).
        const views = (await arbiter.collect('upstreams')) as (WorkerUpstreams | null)[];
        await refuseEmptyingReload(read, (group) => views.some((v) => (v?.upstreams[group]?.endpoints.length ?? 0) > 0));
        // A listener the reload adds on port 0 gets its port here, as at start, so every worker of the new
        // generation shares it and the log can say where it is.
        const picked: string[] = [];
        for (const [i, [key, l]] of listenerKeys(read).entries()) {
          if (ports.has(key)) continue;
          try {
            ports.set(key, await concrete(l.address, reservation));
            picked.push(key);
          } catch (err) {
            for (const k of picked) ports.delete(k);
            await reservation.release();
            throw bindError(`listeners.${i}.address`, l.address, err);
          }
        }
        const next = pinPorts(read, ports);
        // The master binds the admin port once; the workers (listeners, their count) are what a reload replaces.
        if (next.admin.address !== current.admin.address) {
          log.warn({ kept: ['admin.address'] }, 'reload: admin.address changed; the master binds it only at start (restart to apply)');
        }
        // Workers of the new generation read the certificates and error pages at boot: refuse the reload here if any is bad, so the running ones stay.
        try {
          for (const l of next.listeners) if (l.tls !== undefined) new TlsContexts(l.tls);
          configuredAnswers(next);
        } catch (err) {
          for (const k of picked) ports.delete(k);
          await reservation.release();
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
  await arbiter.start();
  await reservation.release(); // normally done: the first worker asked before it listened
  let admin: Awaited<ReturnType<typeof startAdminServer>> | null = null;
  if (current.admin.address !== null) {
    admin = await startAdmin(current.admin.address, arbiter, {
      metrics: async () => {
        await ledger.collect(arbiter);
        const merged = ledger.render(await own.getMetricsAsJSON());
        return { contentType: merged.contentType, body: await merged.metrics() };
      },
      upstreams: async () => ({ workers: await arbiter.collect('upstreams') }),
      ready: () => arbiter.ready,
      state: () => (arbiter.isStopping ? 'draining' : arbiter.ready ? 'ok' : 'starting'),
      control: {
        token: adminToken,
        endpoints: async (group) => {
          if (!Object.hasOwn(current.upstreams, group)) return null;
          const views = (await arbiter.collect('upstreams')) as (WorkerUpstreams | null)[];
          return [...new Set(views.flatMap((v) => (v?.upstreams[group]?.endpoints ?? []).map((e) => String(e.address))))];
        },
        set: (group, endpoint, change) => {
          const o = overrides.set(group, endpoint, change);
          log.info({ group, endpoint, state: o.state, weight: o.weight }, 'admin: endpoint override set');
          sendOverrides();
          return o;
        },
        reload: () => arbiter.signal('SIGHUP'),
      },
    });
  }
  log.info(
    {
      listeners: current.listeners.map((l) => l.address),
      admin: admin === null ? null : `${admin.host}:${admin.port}`,
      workers: current.workers,
    },
    'tsgi-proxy listening',
  );
  const exit = await arbiter.done;
  admin?.server.close();
  admin?.server.closeAllConnections();
  log.info({ code: exit.code, reason: exit.reason }, 'tsgi-proxy stopped');
  log.flush();
  return exit.code;
}

/** The admin port, or (when it cannot bind) the workers stopped before the error goes up: no orphaned listeners. */
async function startAdmin(address: string, arbiter: Arbiter, sources: Parameters<typeof startAdminServer>[1]): ReturnType<typeof startAdminServer> {
  try {
    return await startAdminServer(address, sources);
  } catch (err) {
    await arbiter.stop(false);
    throw err;
  }
}

async function concrete(address: string, reservation: PortReservation): Promise<string> {
  const { host, port } = parseAddress(address) as { host: string; port: number };
  if (port !== 0) return address;
  const p = await reservation.pick(host);
  return host.includes(':') ? `[${host}]:${p}` : `${host}:${p}`;
}

type Listener = ProxyConfig['listeners'][number];

/** Each listener keyed by its address and how many listeners before it have the same address (`host:0#1`). */
function listenerKeys(config: ProxyConfig): [string, Listener][] {
  const seen = new Map<string, number>();
  return config.listeners.map((l) => {
    const n = seen.get(l.address) ?? 0;
    seen.set(l.address, n + 1);
    return [`${l.address}#${n}`, l];
  });
}

function pinPorts(config: ProxyConfig, ports: Map<string, string>): ProxyConfig {
  return { ...config, listeners: listenerKeys(config).map(([key, l]) => ({ ...l, address: ports.get(key) ?? l.address })) };
}

/** `workerMemory` for the arbiter (same rule as tsgi-appserver's --max-worker-memory). */
function memoryLimit(config: ProxyConfig): MemoryLimit {
  return { maxRssBytes: config.workerMemory.maxRss, maxHeapFraction: config.workerMemory.maxHeapFraction, beats: config.workerMemory.beats };
}
