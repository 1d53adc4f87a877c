import { availableParallelism } from 'node:os';
import type { MatrixCell, MatrixCut, MatrixStep, ScalingMatrix, ScenarioResult, Tier, VariantResult, Verdict } from '../result-types.js';
import type { VariantDef } from '../rounds.js';
import { cellName, type Cell, type CellPlacement } from '../topology/cell-placement.js';
import { processCells } from '../topology/process-cells.js';
import { composeCells } from '../containers/compose-cells.js';
import { coresOf, runSideBySide, type ScenarioContext } from './side-by-side.js';

/**
 * The sample app's CPU route at a cost close to one proxied request's, so
 * that with equal worker counts neither tier has much headroom: whichever tier
 * has fewer workers is the bottleneck, and the fixed tier of a cut (twice the
 * sweep's largest count) always has headroom.
 */
export const DEFAULT_SCALING_PATH = '/cpu?n=5';

/** A tier is the bottleneck when it uses this share of the CPU it may use. */
const SATURATED = 0.8;

const other = (t: Tier): Tier => (t === 'proxy' ? 'app' : 'proxy');

/** Cuts to run: the sweep of one tier with the other fixed at twice the sweep's largest count. */
function cutsFor(ctx: ScenarioContext, tiers: Tier[]): Array<{ tier: Tier; sweep: number[]; fixed: number }> {
  return tiers.map((tier) => {
    const sweep = tier === 'proxy' ? ctx.cfg.proxyWorkers : ctx.cfg.appWorkers;
    return { tier, sweep, fixed: 2 * Math.max(...sweep) };
  });
}

function cellOf(tier: Tier, workers: number, fixed: number): Cell {
  return tier === 'proxy' ? { proxyWorkers: workers, appWorkers: fixed } : { proxyWorkers: fixed, appWorkers: workers };
}

/**
 * Requests in flight per worker of the cell's smaller tier (its bottleneck). A
 * fixed count would give the one-worker cells a queue 4 times deeper than the
 * four-worker ones: the small cells would spend CPU on queueing (more live
 * requests, more GC) and the large ones would starve, so ratios would measure
 * the queue, not the tier. Scaled with capacity, every cell keeps each
 * bottleneck worker equally busy, as k6 users scaled with the replica count.
 * `--connections N` fixes the count instead.
 */
export const CONNECTIONS_PER_BOTTLENECK_WORKER = 48;

function cellVariant(ctx: ScenarioContext, placement: CellPlacement, cell: Cell, path: string): VariantDef {
  return {
    name: cellName(cell),
    connections: ctx.cfg.connections ?? CONNECTIONS_PER_BOTTLENECK_WORKER * Math.min(cell.proxyWorkers, cell.appWorkers),
    params: { proxyWorkers: cell.proxyWorkers, appWorkers: cell.appWorkers },
    missing: () => placement.missing(),
    start: () => placement.start(cell, path),
  };
}

/** A tier's CPU used over CPU allowed (its budgets; unbudgeted: one core per worker). */
function utilisation(v: VariantResult, tier: Tier, workers: number): number {
  const budgets = (v.budgets ?? []).filter((b) => b.tier === tier);
  if (budgets.length > 0) {
    const given = budgets.reduce((a, b) => a + b.budgetCores, 0);
    return given > 0 ? budgets.reduce((a, b) => a + b.usedCores, 0) / given : 0;
  }
  // Unbudgeted, a worker may use one core; the tier's master (idle) is counted with it.
  return coresOf(v, tier) / workers;
}

function describeCell(v: VariantResult, cell: Cell, cores: number): MatrixCell {
  const u: Record<Tier, number> = {
    proxy: utilisation(v, 'proxy', cell.proxyWorkers),
    app: utilisation(v, 'app', cell.appWorkers),
  };
  const top: Tier = u.proxy >= u.app ? 'proxy' : 'app';
  let bottleneck: MatrixCell['bottleneck'] = u[top] >= SATURATED ? top : 'none';
  if (bottleneck === 'none' && !v.budgets && v.machineCores >= 0.9 * cores) bottleneck = 'machine';
  return {
    variant: v.name,
    ...cell,
    rps: v.rps,
    p99Ms: v.latency.p99,
    utilisation: { proxy: round2(u.proxy), app: round2(u.app) },
    bottleneck,
  };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** The ratio a step must reach: 0.9 x the worker ratio (1.8 at 2 x), 0.85 x from 4 x on (3.4 at 4 x). */
export function wantedRatio(workerRatio: number): number {
  return (workerRatio >= 4 ? 0.85 : 0.9) * workerRatio;
}

/** Ratios along one cut, the claims they must meet, and the sentence that says it. */
export function analyseCut(
  tier: Tier,
  sweep: number[],
  fixed: number,
  cells: MatrixCell[],
  unit: CellPlacement['unit'],
): { cut: MatrixCut; verdicts: Verdict[] } {
  const find = (w: number): MatrixCell | undefined => cells.find((c) => c.proxyWorkers === cellOf(tier, w, fixed).proxyWorkers && c.appWorkers === cellOf(tier, w, fixed).appWorkers);
  const first = find(sweep[0]!);
  const steps: MatrixStep[] = [];
  const verdicts: Verdict[] = [];
  for (const w of sweep) {
    const c = find(w);
    if (!c || !first) continue;
    const ratio = first.rps > 0 ? c.rps / first.rps : 0;
    const step: MatrixStep = { workers: w, rps: c.rps, ratio: round2(ratio), bottleneck: c.bottleneck };
    if (w !== sweep[0]) {
      if (c.bottleneck === other(tier)) {
        verdicts.push({
          claim: `${tier} tier ${w} ${unit}: not checked`,
          holds: true,
          detail: `the ${other(tier)} tier was the bottleneck (${pct(c.utilisation[other(tier)])} of its CPU), so adding ${tier} ${unit} could not help`,
        });
      } else {
        step.want = round2(wantedRatio(w / sweep[0]!));
        step.holds = ratio >= step.want;
        verdicts.push({
          claim: `${tier} tier ${sweep[0]} -> ${w} ${unit} >= ${step.want.toFixed(2)} x (${other(tier)} tier fixed at ${fixed})`,
          holds: step.holds,
          detail: `${c.rps.toFixed(0)} vs ${first.rps.toFixed(0)} req/s = ${ratio.toFixed(2)} x; CPU used of allowed: ${tier} ${pct(c.utilisation[tier])}, ${other(tier)} ${pct(c.utilisation[other(tier)])}; bottleneck ${c.bottleneck}`,
        });
      }
    }
    steps.push(step);
  }
  const rest = steps.slice(1);
  const headroom = rest.every((s) => s.bottleneck !== other(tier));
  const sentence =
    `${tier} tier: ${steps.map((s) => s.workers).join('→')} ${unit} gave ${rest.map((s) => `${s.ratio.toFixed(2)} ×`).join(' / ') || 'no second step'}` +
    (headroom
      ? ` while the ${other(tier)} tier (${fixed} ${unit}) had headroom (at most ${pct(Math.max(...steps.map((s) => find(s.workers)?.utilisation[other(tier)] ?? 0)))} of its CPU)`
      : `; the ${other(tier)} tier became the bottleneck at ${rest.filter((s) => s.bottleneck === other(tier)).map((s) => s.workers).join(', ')} ${tier} ${unit}`);
  return { cut: { tier, fixed: { tier: other(tier), workers: fixed }, steps, sentence }, verdicts };
}

const pct = (u: number): string => `${Math.round(u * 100)} %`;

/** Cells from the variants, cuts with their claims, and the headline lines. */
export function analyseMatrix(
  variants: VariantResult[],
  cuts: Array<{ tier: Tier; sweep: number[]; fixed: number }>,
  placement: Pick<CellPlacement, 'budgetCores' | 'topology' | 'unit'>,
  cores: number,
): { matrix: ScalingMatrix; verdicts: Verdict[]; headline: string[] } {
  const { budgetCores, topology, unit } = placement;
  const cells = variants.map((v) => describeCell(v, { proxyWorkers: Number(v.params.proxyWorkers), appWorkers: Number(v.params.appWorkers) }, cores));
  const analysed = cuts.map((c) => analyseCut(c.tier, c.sweep, c.fixed, cells, unit));
  const verdicts = analysed.flatMap((a) => a.verdicts);
  const failed = verdicts.filter((v) => !v.holds).length;
  const per = unit === 'workers' ? 'worker' : 'replica';
  const budget = `${topology}, ${budgetCores === null ? 'unbudgeted' : `${budgetCores} core per ${per}`}`;
  const headline = [
    `${failed === 0 ? 'PASS' : 'FAIL'}: ${failed === 0 ? `each tier scaled with its own ${unit}` : `${failed} of ${verdicts.length} scaling checks failed`} (${budget}).`,
    ...analysed.map((a) => a.cut.sentence),
  ];
  return { matrix: { topology, budgetCores, cells, cuts: analysed.map((a) => a.cut) }, verdicts, headline };
}

async function scalingRun(ctx: ScenarioContext, scenario: string, tiers: Tier[]): Promise<ScenarioResult> {
  const cuts = cutsFor(ctx, tiers);
  const seen = new Set<string>();
  const cells: Cell[] = [];
  for (const c of cuts) {
    for (const w of c.sweep) {
      const cell = cellOf(c.tier, w, c.fixed);
      if (!seen.has(cellName(cell))) {
        seen.add(cellName(cell));
        cells.push(cell);
      }
    }
  }
  const path = ctx.cfg.path ?? DEFAULT_SCALING_PATH;
  const placement = ctx.cfg.containers ? composeCells(ctx) : processCells(ctx);
  const { budgetCores, unit } = placement;
  let headline: string[] = [];
  let matrix: ScalingMatrix | undefined;
  if (!placement.missing()) await placement.prepare(cells.filter((c) => !ctx.cfg.variants || ctx.cfg.variants.includes(cellName(c))));
  const result = await runSideBySide(ctx, {
    scenario: placement.topology === 'containers' ? `${scenario}-containers` : scenario,
    description:
      `GET ${path} through ${placement.description}; ` +
      cuts.map((c) => `${c.tier} ${unit} ${c.sweep.join(' -> ')} with ${other(c.tier)} ${unit} fixed at ${c.fixed}`).join('; ') +
      (budgetCores === null ? '; unbudgeted.' : '.'),
    // Each cell sets its own connection count (cellVariant); this is what the report shows for the largest.
    shape: { path, connections: ctx.cfg.connections ?? CONNECTIONS_PER_BOTTLENECK_WORKER * Math.max(...cells.map((c) => Math.min(c.proxyWorkers, c.appWorkers))) },
    variants: cells.map((c) => cellVariant(ctx, placement, c, path)),
    analyse: (results) => {
      const a = analyseMatrix(results, cuts, placement, availableParallelism());
      headline = a.headline;
      matrix = a.matrix;
      return { verdicts: a.verdicts, notes: [] };
    },
    notes:
      budgetCores === null
        ? ['Unbudgeted: every process may use every core, so on a machine with fewer cores than workers the tiers and the load generator share them and the bottleneck can be the machine itself.']
        : [],
  });
  return { ...result, ...(matrix ? { matrix } : {}), headline };
}

/** Both tiers swept: the proxy with the app tier fixed, then the app with the proxy fixed. */
export const scalingMatrix = (ctx: ScenarioContext): Promise<ScenarioResult> => scalingRun(ctx, 'scaling-matrix', ['proxy', 'app']);

/** The app tier's cut of the matrix. */
export const appScaling = (ctx: ScenarioContext): Promise<ScenarioResult> => scalingRun(ctx, 'app-scaling', ['app']);

/** The proxy tier's cut of the matrix. */
export const proxyScaling = (ctx: ScenarioContext): Promise<ScenarioResult> => scalingRun(ctx, 'proxy-scaling', ['proxy']);
