import { availableParallelism } from 'node:os';
import type { ScenarioResult, Verdict, VariantResult } from '../result-types.js';
import type { VariantDef } from '../rounds.js';
import { startHello } from '../topology/baselines.js';
import { appserverMissing, proxyMissing, sampleAppMissing, startAppserver, startTsProxy } from '../topology/stack.js';
import { Topology } from '../topology/topology.js';
import { coresOf, runSideBySide, totalCores, type ScenarioContext } from './side-by-side.js';

/** The sample app's CPU-bound route and its cost parameter (bounded by the app). */
export const CPU_PATH = '/cpu?n=3000';

function describeCpu(v: VariantResult): string {
  return v.cpu
    .filter((g) => g.cores > 0.005)
    .map((g) => `${g.group} ${g.cores.toFixed(2)}`)
    .join(', ');
}

/**
 * A scaling claim ("throughput with the larger tier >= 1.6 x the smaller one")
 * checked, and when it fails, explained with where the cores went.
 */
function scalingVerdict(results: VariantResult[], tier: string, tierPrefix: string, cores: number): { verdicts: Verdict[]; notes: string[] } {
  const verdicts: Verdict[] = [];
  const notes: string[] = [];
  const [one, ...larger] = results;
  if (one === undefined) return { verdicts, notes };
  for (const v of larger) {
    const ratio = one.rps > 0 ? v.rps / one.rps : 0;
    const n = Number(v.params.workers);
    const n0 = Number(one.params.workers);
    const want = n / n0 >= 2 ? 1.6 : 0.8 * (n / n0);
    verdicts.push({
      claim: `${tier} ${n} workers >= ${want.toFixed(1)} x ${n0} worker(s)`,
      holds: ratio >= want,
      detail: `${v.rps.toFixed(0)} vs ${one.rps.toFixed(0)} req/s = ${ratio.toFixed(2)} x; cores used: ${describeCpu(v)}`,
    });
    if (ratio < want) {
      const ours = totalCores(v);
      const tierCores = coresOf(v, tierPrefix);
      const tierCores0 = coresOf(one, tierPrefix);
      const machine = Math.max(v.machineCores, ours);
      const others = Math.max(0, machine - ours);
      const saturated = machine >= 0.85 * cores;
      notes.push(
        `${tier} at ${n} workers used ${tierCores.toFixed(2)} cores (${tierCores0.toFixed(2)} at ${n0}); the run's processes together ` +
          `${ours.toFixed(2)} cores, other processes on the machine ${others.toFixed(2)}, machine busy ${machine.toFixed(2)} of ${cores} cores. ` +
          (saturated
            ? `The machine was saturated (${others > 0.3 ? 'largely by load from outside this run' : 'by the other tiers and the load generator'}), ` +
              `so the ${tier} could not get ${n} cores: this run cannot show the scaling. Run it on an idle machine with more cores ` +
              `(the sweep flags take 1,2,4,8) or put the load generator on another host (k6 scripts in load-tests/k6/).`
            : `The machine had idle CPU, so the limit was elsewhere (tier not the bottleneck or too few connections).`),
      );
    }
  }
  return { verdicts, notes };
}

/** app-scaling: CPU-bound route, app workers swept, proxy fixed at one worker. */
export function appScaling(ctx: ScenarioContext): Promise<ScenarioResult> {
  const viaProxy = proxyMissing() === undefined;
  const maxW = Math.max(...ctx.cfg.appWorkers);
  const variants: VariantDef[] = ctx.cfg.appWorkers.map((w) => ({
    name: `app-workers=${w}`,
    params: { workers: w, proxyWorkers: viaProxy ? 1 : 0 },
    missing: () => appserverMissing() ?? sampleAppMissing(),
    start: async () => {
      const t = new Topology();
      const app = await startAppserver('app', { workers: w });
      if (viaProxy) {
        try {
          t.entry(t.add(await startTsProxy('proxy', { workers: 1, upstreams: [app.port] })));
        } catch (err) {
          await app.proc.stop();
          throw err;
        }
        t.add(app);
      } else t.entry(t.add(app));
      return t;
    },
  }));
  return runSideBySide(ctx, {
    scenario: 'app-scaling',
    description: `GET ${CPU_PATH} (CPU-bound) ${viaProxy ? 'through tsgi-proxy (1 worker)' : 'directly (tsgi-proxy not present)'}; app workers ${ctx.cfg.appWorkers.join(' -> ')}.`,
    shape: { path: CPU_PATH, connections: ctx.cfg.connections ?? Math.max(8, 4 * maxW) },
    variants,
    analyse: (results) => scalingVerdict(results, 'app tier', 'app', availableParallelism()),
    notes: viaProxy ? [] : ['tsgi-proxy was not present: the load went to the appserver directly.'],
  });
}

/**
 * proxy-scaling: a cheap route with a 16 KiB body and many connections;
 * proxy workers swept, app tier fixed. The app tier is a node:http server
 * with 2 x the largest proxy worker count (cheaper per request than the
 * proxy, so the proxy tier is the one that limits; the appserver's own
 * scaling is app-scaling's subject).
 */
export function proxyScaling(ctx: ScenarioContext): Promise<ScenarioResult> {
  const appWorkers = 2 * Math.max(...ctx.cfg.proxyWorkers);
  const variants: VariantDef[] = ctx.cfg.proxyWorkers.map((p) => ({
    name: `proxy-workers=${p}`,
    params: { workers: p, appTier: `node:http, ${appWorkers} workers, 16 KiB body` },
    missing: proxyMissing,
    start: async () => {
      const t = new Topology();
      const app = await startHello('app', 'node-http', appWorkers, 16 * 1024);
      try {
        t.entry(t.add(await startTsProxy('proxy', { workers: p, upstreams: [app.port] })));
      } catch (err) {
        await app.proc.stop();
        throw err;
      }
      t.add(app);
      return t;
    },
  }));
  return runSideBySide(ctx, {
    scenario: 'proxy-scaling',
    description: `GET /bytes (16 KiB) with many connections through tsgi-proxy; proxy workers ${ctx.cfg.proxyWorkers.join(' -> ')}, app tier fixed (node:http, ${appWorkers} workers).`,
    shape: { path: '/bytes', connections: ctx.cfg.connections ?? 100 },
    variants,
    analyse: (results) => scalingVerdict(results, 'proxy tier', 'proxy', availableParallelism()),
  });
}
