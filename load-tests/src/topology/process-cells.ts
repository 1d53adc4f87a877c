import { budgetWorkers } from '../cpu-budget/tier-budgets.js';
import { runStage } from '../load-stage.js';
import type { ScenarioContext } from '../scenarios/side-by-side.js';
import type { Cell, CellPlacement } from './cell-placement.js';
import { appserverMissing, proxyMissing, sampleAppMissing, startAppserver, startTsProxy } from './stack.js';
import { Topology } from './topology.js';

/** Seconds of unbudgeted load each cell gets before its budgets apply. */
const JIT_WARMUP_S = 2;

/**
 * The matrix on this host: tsgi-proxy (P workers) -> tsgi-appserver (A workers)
 * -> sample app, both from dist; with `--cpu-budget`, each worker in a cgroup of
 * its own.
 */
export function processCells(ctx: ScenarioContext): CellPlacement {
  const budgetCores = ctx.budgets && ctx.cfg.cpuBudget !== undefined ? ctx.cfg.cpuBudget : null;
  return {
    topology: 'processes',
    unit: 'workers',
    budgetCores,
    missing: () => appserverMissing() ?? proxyMissing() ?? sampleAppMissing(),
    prepare: async () => {},
    description: 'tsgi-proxy to tsgi-appserver (sample app), both from dist' + (budgetCores === null ? '' : `, each worker in its own cgroup with ${budgetCores} core`),
    start: async (cell: Cell, path: string) => {
      const t = new Topology();
      const app = t.add(await startAppserver('app', { workers: cell.appWorkers }));
      try {
        const proxy = await startTsProxy('proxy', { workers: cell.proxyWorkers, upstreams: [app.port] });
        t.entry(proxy);
        // The entry stops first (Topology.stop), so it is moved to the front.
        t.components.unshift(t.components.pop()!);
        if (ctx.budgets && budgetCores !== null) {
          // JIT-compile the path at full speed first: under a 0.1-core quota V8's compiler threads
          // would spend the stage's budget, and the first rounds would measure compilation.
          await runStage({ url: `http://127.0.0.1:${proxy.port}${path}`, connections: 16, durationS: JIT_WARMUP_S, maxRequests: 1_000_000 });
          t.budgets.push(...(await budgetWorkers(ctx.budgets, 'proxy', proxy, cell.proxyWorkers, budgetCores)));
          t.budgets.push(...(await budgetWorkers(ctx.budgets, 'app', app, cell.appWorkers, budgetCores)));
        }
      } catch (err) {
        await t.stop();
        throw err;
      }
      return t;
    },
  };
}
