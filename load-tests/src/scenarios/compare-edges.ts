import type { ScenarioResult } from '../result-types.js';
import type { VariantDef } from '../rounds.js';
import { nginxMissing, startHello, startHttpProxyEdge, startNginx } from '../topology/baselines.js';
import { proxyMissing, startTsProxy } from '../topology/stack.js';
import { Topology } from '../topology/topology.js';
import type { Component } from '../topology/topology.js';
import { runSideBySide, type ScenarioContext } from './side-by-side.js';

/**
 * The same upstream (a node:http hello server, one process each) reached
 * directly, through the TS proxy, nginx, and the http-proxy library.
 * Each variant has its own upstream so no variant warms another's.
 */
export function compareEdges(ctx: ScenarioContext): Promise<ScenarioResult> {
  const edge = (name: string, label: string, missing: (() => string | undefined) | undefined,
    startEdge: ((upstream: number) => Promise<Component>) | undefined): VariantDef => ({
    name,
    params: { edge: label, edgeWorkers: 1, upstream: 'node:http hello, 1 process' },
    missing,
    start: async () => {
      const t = new Topology();
      const upstream = await startHello('upstream', 'node-http', 1);
      if (startEdge) {
        try {
          t.entry(t.add(await startEdge(upstream.port)));
        } catch (err) {
          await upstream.proc.stop();
          throw err;
        }
        t.add(upstream);
      } else t.entry(t.add(upstream));
      return t;
    },
  });
  return runSideBySide(ctx, {
    scenario: 'compare-edges',
    description: 'GET / through each edge (1 worker each) to the same kind of upstream, interleaved rounds; ratios against nginx.',
    shape: { path: '/', connections: ctx.cfg.connections ?? 50 },
    variants: [
      edge('direct', 'none (client to upstream)', undefined, undefined),
      edge('ts-proxy', 'tsgi-proxy, 1 worker', proxyMissing, (p) => startTsProxy('edge', { workers: 1, upstreams: [p] })),
      edge('nginx', 'nginx 1 worker, upstream keepalive', nginxMissing, (p) => startNginx('edge', [p], 1)),
      edge('http-proxy', 'http-proxy + keep-alive agent', undefined, (p) => startHttpProxyEdge('edge', p)),
    ],
    baseline: 'nginx',
    analyse: (results) => {
      const nginx = results.find((r) => r.name === 'nginx');
      const ts = results.find((r) => r.name === 'ts-proxy');
      if (!nginx || !ts) return { verdicts: [], notes: [] };
      return {
        verdicts: [
          {
            claim: 'tsgi-proxy >= 0.8 x nginx throughput at equal workers',
            holds: ts.rps >= 0.8 * nginx.rps,
            detail: `${ts.rps.toFixed(0)} vs ${nginx.rps.toFixed(0)} req/s = ${(ts.rps / nginx.rps).toFixed(2)} x`,
          },
          {
            claim: 'tsgi-proxy p99 within 1.5 x nginx p99',
            holds: ts.latency.p99 <= 1.5 * nginx.latency.p99,
            detail: `${ts.latency.p99} ms vs ${nginx.latency.p99} ms`,
          },
        ],
        notes: [],
      };
    },
  });
}
