import { setTimeout as delay } from 'node:timers/promises';
import { machineInfo } from '../machine.js';
import { scrape, sumMatching } from '../metrics-scrape.js';
import { workerChildren } from '../proc-stats.js';
import type { ScenarioResult, VariantResult } from '../result-types.js';
import { Accumulator, measuredStage } from '../rounds.js';
import { appserverMissing, proxyMissing, sampleAppMissing, startAppserver, startTsProxy } from '../topology/stack.js';
import { Topology, type Component } from '../topology/topology.js';
import type { ScenarioContext } from './side-by-side.js';

const RETRY_METRIC = /retr/i;

interface FaultStage {
  name: string;
  what: string;
  /** Fired a third into the stage; returns what it did. */
  fire?: (s: StackHandles) => Promise<string>;
  /** After the stage: bring the stack back to full strength. */
  heal?: (s: StackHandles) => Promise<string | undefined>;
}

interface StackHandles {
  topology: Topology;
  proxy: Component;
  /** app-a and app-b. */
  apps: [Component, Component];
}

async function waitForWorkers(c: Component, n: number, timeoutMs = 15_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let kids = workerChildren(c.proc.pid);
  while (kids.length < n && Date.now() < deadline) {
    await delay(100);
    kids = workerChildren(c.proc.pid);
  }
  return kids;
}

const STAGES: FaultStage[] = [
  { name: 'steady', what: 'no fault (reference)' },
  {
    name: 'kill-app-worker',
    what: 'SIGKILL one worker of app-a',
    fire: async (s) => {
      const [pid] = workerChildren(s.apps[0].proc.pid);
      if (pid === undefined) return 'app-a had no worker to kill';
      process.kill(pid, 'SIGKILL');
      return `SIGKILL worker ${pid} of app-a`;
    },
    heal: async (s) => `app-a workers back: ${(await waitForWorkers(s.apps[0], 2)).length}`,
  },
  {
    name: 'hup-appserver',
    what: 'SIGHUP app-a (graceful reload)',
    fire: async (s) => {
      s.apps[0].proc.signal('SIGHUP');
      return `SIGHUP app-a master ${s.apps[0].proc.pid}`;
    },
    heal: async (s) => `app-a workers after reload: ${(await waitForWorkers(s.apps[0], 2)).length}`,
  },
  {
    name: 'hup-proxy',
    what: 'SIGHUP tsgi-proxy (config re-read)',
    fire: async (s) => {
      s.proxy.proc.signal('SIGHUP');
      return `SIGHUP proxy master ${s.proxy.proc.pid}`;
    },
  },
  {
    name: 'kill-appserver',
    what: 'SIGKILL the whole app-b (master and workers)',
    fire: async (s) => {
      s.apps[1].proc.killTree('SIGKILL');
      return `SIGKILL app-b master ${s.apps[1].proc.pid} and its workers`;
    },
  },
];

/**
 * faults: a bounded load through proxy -> two appservers while workers are
 * killed, the appserver and the proxy reloaded, and a whole upstream killed.
 * Each stage is one row; failed = connection errors + non-2xx responses.
 */
export async function faultLoad(ctx: ScenarioContext): Promise<ScenarioResult> {
  const startedAt = new Date().toISOString();
  const reason = appserverMissing() ?? sampleAppMissing() ?? proxyMissing();
  const base: ScenarioResult = {
    scenario: 'faults',
    description: 'GET / through tsgi-proxy (1 worker) to two appservers (2 workers each) while faults are injected a third into each stage.',
    command: ctx.command,
    machine: machineInfo(),
    startedAt,
    finishedAt: startedAt,
    settings: { durationS: ctx.cfg.durationS, warmupS: ctx.cfg.warmupS, rounds: 1, connections: ctx.cfg.connections ?? 16, path: '/' },
    variants: [],
    ratios: [],
    verdicts: [],
    notes: [],
    skipped: [],
  };
  if (reason) {
    base.skipped.push({ variant: 'all', reason });
    ctx.progress(`skip faults: ${reason}`);
    return base;
  }
  const topology = new Topology();
  const results: VariantResult[] = [];
  try {
    const a = await startAppserver('app-a', { workers: 2 });
    const b = await startAppserver('app-b', { workers: 2 });
    const proxy = await startTsProxy('proxy', {
      workers: 1,
      upstreams: [a.port, b.port],
      upstreamYaml: '    retries:\n      attempts: 2\n      budget: 0.5\n    passive:\n      maxFails: 1\n      ejectBase: 2s\n',
    });
    topology.entry(topology.add(proxy));
    topology.add(a);
    topology.add(b);
    const handles: StackHandles = { topology, proxy, apps: [a, b] };
    const url = `${topology.url}/`;
    if (ctx.cfg.warmupS > 0) {
      await measuredStage(topology, [url], { connections: 16, durationS: ctx.cfg.warmupS, maxRequests: ctx.cfg.maxRequests });
    }
    for (const stage of STAGES) {
      const acc = new Accumulator();
      const retriesBefore = sumMatching(await scrape(proxy.ports?.admin ?? 0), RETRY_METRIC);
      const { stage: st, cpu, machineBusyMs } = await measuredStage(
        topology,
        [url],
        { connections: ctx.cfg.connections ?? 16, durationS: ctx.cfg.durationS, maxRequests: ctx.cfg.maxRequests },
        async () => {
          if (!stage.fire) return;
          await delay((ctx.cfg.durationS * 1000) / 3);
          acc.events.push(await stage.fire(handles));
        },
      );
      acc.add(st, cpu, machineBusyMs);
      const healed = stage.heal ? await stage.heal(handles) : undefined;
      if (healed) acc.events.push(healed);
      const samples = await scrape(proxy.ports?.admin ?? 0);
      const retries = sumMatching(samples, RETRY_METRIC) - retriesBefore;
      acc.events.push(`proxy retries during the stage: ${retries}`);
      const failures = (samples ?? [])
        .filter((x) => /upstream_failures_total$/.test(x.name) && x.value > 0)
        .map((x) => `${x.labels.endpoint ?? '?'} ${x.labels.reason ?? '?'} ${x.value}`);
      if (failures.length > 0) acc.events.push(`proxy upstream failures so far: ${failures.join(', ')}`);
      const r = acc.result({ name: stage.name, params: { fault: stage.what } });
      results.push(r);
      const failed = r.errors + r.non2xx;
      ctx.progress(`[faults] ${stage.name.padEnd(16)} sent ${r.responses + r.errors}  failed ${failed}  retried ${retries}  ${r.rps.toFixed(0)} req/s  (${acc.events.join('; ')})`);
    }
  } finally {
    await topology.stop();
  }
  const failedTotal = results.reduce((a, r) => a + r.errors + r.non2xx, 0);
  base.variants = results;
  base.finishedAt = new Date().toISOString();
  base.verdicts = results.map((r) => ({
    claim: `${r.name}: zero failed GETs while a healthy endpoint remains`,
    holds: r.errors + r.non2xx === 0,
    detail: `sent ${r.responses + r.errors}, failed ${r.errors + r.non2xx} (${JSON.stringify(r.statusCounts)}); ${(r.events ?? []).join('; ')}`,
  }));
  base.notes.push(`failed requests over all stages: ${failedTotal}`);
  return base;
}
