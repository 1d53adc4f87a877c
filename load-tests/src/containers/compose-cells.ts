import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { budgetOfProcess } from '../cpu-budget/cgroup.js';
import { NotReadyError } from '../errors.js';
import { scrape } from '../metrics-scrape.js';
import { runStageOver } from '../load-stage.js';
import { PACKAGE_DIR, repoPath } from '../repo.js';
import type { ScenarioContext } from '../scenarios/side-by-side.js';
import { cellName, type Cell, type CellPlacement } from '../topology/cell-placement.js';
import { ExternalProcess, Topology, type Component } from '../topology/topology.js';
import { raisePriority } from '../cpu-budget/tier-budgets.js';
import { compose, composeProject, portRelayPid, projectContainers, type ContainerInfo } from './compose.js';

const FILES = [repoPath('docker-compose.yml'), join(PACKAGE_DIR, 'containers/scaling.compose.yml')];

/** Every Compose project of this run starts with this (the test counts their containers by it). */
export const PROJECT_PREFIX = `tsgi-containers-${process.pid}`;

/** Seconds of load each cell gets before its rounds, so the first round does not measure V8 compiling the path. */
const JIT_WARMUP_S = 3;

/** How long a cell may take to serve: containers start, apps turn healthy, every proxy resolves every app replica. */
const READY_TIMEOUT_MS = 120_000;

/** Projects up now: taken down at exit too (Ctrl-C), not only by Topology.stop. */
const live = new Set<string>();

/** At exit (synchronous): every container of the live projects removed in one command, then their networks. */
function downNow(): void {
  const ids = [...live.keys()].flatMap((project) =>
    spawnSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], { encoding: 'utf8', timeout: 30_000 }).stdout?.split('\n').filter(Boolean) ?? [],
  );
  if (ids.length > 0) spawnSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore', timeout: 120_000 });
  for (const project of live.keys()) {
    spawnSync('docker', ['network', 'rm', `${project}_default`], { stdio: 'ignore', timeout: 30_000 });
    spawnSync('docker', ['volume', 'rm', `${project}_prometheus-data`], { stdio: 'ignore', timeout: 30_000 });
  }
  live.clear();
}

/** App endpoints a proxy reports healthy on its open metrics (`tsgi_proxy_endpoint_healthy`; `GET /upstreams` needs a token from off-host). */
async function healthyEndpoints(adminPort: number): Promise<number> {
  const samples = (await scrape(adminPort)) ?? [];
  return new Set(samples.filter((x) => x.name === 'tsgi_proxy_endpoint_healthy' && x.labels.upstream === 'app' && x.value === 1).map((x) => x.labels.endpoint)).size;
}

/** Waits until every proxy replica serves `path` and its DNS discovery has found all `apps` app replicas healthy. */
async function waitServing(proxies: ContainerInfo[], apps: number, path: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (const p of proxies) {
    let seen = 0;
    for (;;) {
      try {
        seen = await healthyEndpoints(p.published['9100/tcp'] ?? 0);
        if (seen >= apps && (await fetch(`http://127.0.0.1:${p.published['8080/tcp']}${path}`, { signal: AbortSignal.timeout(5000) })).ok) break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new NotReadyError(`containers: proxy ${p.id.slice(0, 12)} found ${seen} of ${apps} app replicas in ${READY_TIMEOUT_MS / 1000} s`);
      await delay(250);
    }
  }
}

/**
 * The matrix in containers: each cell is a Compose project of the repository's
 * docker-compose.yml (our app and proxy images) with `--scale app=A --scale
 * proxy=P`, every replica one worker under `cpus: --cpu-budget`; each proxy
 * replica publishes its own loopback port and the load generator, on the host,
 * spreads its connections over them; the proxies find the app replicas by the
 * service's DNS name. CPU used and throttling come from each container's cgroup
 * and /proc, as for worker budgets.
 */
export function composeCells(ctx: ScenarioContext): CellPlacement {
  const budgetCores = ctx.cfg.cpuBudget ?? null;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TSGI_REPLICA_CPUS: String(budgetCores ?? 0),
    TSGI_CGROUP_PARENT: ctx.budgets?.cgroupParent ?? '',
    PROXY_HOST: '127.0.0.1',
    PROXY_PORT: '0',
    PUBLISH_HOST: '127.0.0.1',
    PROXY_ADMIN_PORT: '0',
    // Tags of their own, so a run never replaces the images a developer's `docker compose up` uses.
    APP_IMAGE: process.env.APP_IMAGE ?? 'tsgi-loadtest/app:local',
    PROXY_IMAGE: process.env.PROXY_IMAGE ?? 'tsgi-loadtest/proxy:local',
  };
  const projectOf = (cell: Cell): string => `${PROJECT_PREFIX}-${cellName(cell)}`;
  process.once('exit', () => {
    downNow();
    // After the containers are gone, so their parent cgroup can be removed.
    ctx.budgets?.close();
  });
  return {
    topology: 'containers',
    unit: 'replicas',
    budgetCores,
    missing: () => {
      const absent = FILES.find((f) => !existsSync(f));
      return absent === undefined ? undefined : `containers: ${absent} is missing`;
    },
    description:
      'tsgi-proxy replicas to tsgi-appserver replicas (sample app), Compose containers of docker/Dockerfile, one worker per replica' +
      (budgetCores === null ? '' : `, cpus: ${budgetCores} per replica`) +
      "; the load spread over the proxy replicas' published ports",
    prepare: async (cells: Cell[]) => {
      ctx.progress('containers: building the app and proxy images (docker/Dockerfile)');
      await compose.buildMany(['app', 'proxy'], await composeProject(`${PROJECT_PREFIX}-build`, FILES, env));
      // All cells at once: most of a cell's start is waiting for its replicas to turn healthy.
      ctx.progress(`containers: bringing up ${cells.length} Compose projects (${cells.map(cellName).join(', ')})`);
      const ups = await Promise.allSettled(
        cells.map(async (cell) => {
          const opts = await composeProject(projectOf(cell), FILES, env);
          live.add(projectOf(cell));
          await compose.upMany(['app', 'proxy'], { ...opts, commandOptions: ['--no-build', ['--scale', `app=${cell.appWorkers}`], ['--scale', `proxy=${cell.proxyWorkers}`]] });
        }),
      );
      const failed = ups.find((u): u is PromiseRejectedResult => u.status === 'rejected');
      if (failed) throw new NotReadyError(`containers: compose up failed: ${composeError(failed.reason)}`);
    },
    start: async (cell: Cell, path: string) => {
      const project = projectOf(cell);
      const opts = await composeProject(project, FILES, env);
      const t = new Topology();
      const down: Component['cleanup'] = async () => {
        await compose.downAll({ ...opts, commandOptions: ['-v', '--remove-orphans', ['-t', '5']] });
        live.delete(project);
      };
      try {
        const containers = await projectContainers(project);
        const proxies = containers.filter((c) => c.service === 'proxy');
        const apps = containers.filter((c) => c.service === 'app');
        if (proxies.length !== cell.proxyWorkers || apps.length !== cell.appWorkers) {
          throw new NotReadyError(`containers: ${project} runs ${proxies.length} proxy and ${apps.length} app replicas, not ${cell.proxyWorkers} and ${cell.appWorkers}`);
        }
        await waitServing(proxies, cell.appWorkers, path);
        const component = (c: ContainerInfo): Component => ({ role: c.service, proc: new ExternalProcess(c.pid), port: c.published['8080/tcp'] ?? 0 });
        t.entries(proxies.map(component));
        for (const c of apps) t.add(component(c));
        for (const c of containers) {
          const budget = budgetOfProcess(c.pid, `${c.service}-${c.id.slice(0, 12)}`);
          if (budget) t.budgets.push({ tier: c.service, pid: c.pid, budget });
        }
        // Docker's relay of each loopback-published proxy port: outside the tiers' budgets, like the
        // load generator, so it gets the load generator's priority and CPU weight and is measured as its own group.
        for (const p of proxies) {
          const relay = portRelayPid(p.published['8080/tcp'] ?? 0);
          if (relay === undefined) continue;
          raisePriority(relay);
          ctx.budgets?.prioritise(relay);
          t.add({ role: 'docker-proxy', proc: new ExternalProcess(relay), port: p.published['8080/tcp'] ?? 0 });
        }
        // Stopping the topology stops its last component last: that one takes the project down.
        t.components.at(-1)!.cleanup = down;
        await runStageOver(t.origins.map((o) => o + path), { connections: 16, durationS: JIT_WARMUP_S, maxRequests: 1_000_000 });
      } catch (err) {
        await down().catch(() => undefined);
        throw err;
      }
      return t;
    },
  };
}

/** The useful part of a failed Compose command: its stderr's error lines, else the error. */
function composeError(reason: unknown): string {
  const err = (reason as { err?: string }).err;
  if (typeof err !== 'string') return String(reason);
  const lines = err.trim().split('\n');
  return lines.filter((l) => /error|unhealthy|failed/i.test(l)).slice(-3).join('; ') || lines.at(-1) || String(reason);
}
