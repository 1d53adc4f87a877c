import type { ScenarioResult } from '../result-types.js';
import type { VariantDef } from '../rounds.js';
import { gunicornMissing, startGunicornFlask, startHello, type HelloKind } from '../topology/baselines.js';
import { appserverMissing, sampleAppMissing, startAppserver } from '../topology/stack.js';
import { Topology } from '../topology/topology.js';
import { runSideBySide, type ScenarioContext } from './side-by-side.js';

async function single(start: () => ReturnType<typeof startHello>): Promise<Topology> {
  const t = new Topology();
  t.entry(t.add(await start()));
  return t;
}

/**
 * The seed's hello route on appserver+framework (the sample app), node:http,
 * fastify, express and gunicorn+Flask, all with the same worker count.
 */
export function compareServers(ctx: ScenarioContext): Promise<ScenarioResult> {
  const w = ctx.cfg.workers;
  const hello = (kind: HelloKind): VariantDef => ({
    name: kind,
    params: { server: kind, workers: w },
    start: () => single(() => startHello('server', kind, w)),
  });
  const variants: VariantDef[] = [
    {
      name: 'appserver',
      params: { server: 'tsgi-appserver + framework (sample app)', workers: w },
      missing: () => appserverMissing() ?? sampleAppMissing(),
      start: () => single(() => startAppserver('server', { workers: w })),
    },
    hello('node-http'),
    hello('fastify'),
    hello('express'),
    {
      name: 'gunicorn-flask',
      params: { server: 'gunicorn (sync) + Flask, Debian packages', workers: w },
      missing: gunicornMissing,
      start: () => single(() => startGunicornFlask('server', w)),
    },
  ];
  return runSideBySide(ctx, {
    scenario: 'compare-servers',
    description: `GET / (the seed's hello route) on each server with ${w} worker(s), interleaved rounds; ratios against fastify.`,
    shape: { path: '/', connections: ctx.cfg.connections ?? 50 },
    variants,
    baseline: 'fastify',
    analyse: (results) => {
      const fastify = results.find((r) => r.name === 'fastify');
      const app = results.find((r) => r.name === 'appserver');
      if (!fastify || !app) return { verdicts: [], notes: [] };
      const ratio = app.rps / fastify.rps;
      return {
        verdicts: [
          {
            claim: 'appserver + framework >= 0.9 x fastify at equal workers',
            holds: ratio >= 0.9,
            detail: `${app.rps.toFixed(0)} vs ${fastify.rps.toFixed(0)} req/s = ${ratio.toFixed(2)} x`,
          },
        ],
        notes: [],
      };
    },
    notes: [
      'The load generator (autocannon) runs in the runner process on the same machine; its CPU is listed as "load generator".',
    ],
  });
}
