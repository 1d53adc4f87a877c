import { messageOf } from '@tsgi/errors';
import type { RunnerConfig } from '../config.js';
import { machineInfo } from '../machine.js';
import type { ScenarioResult, Verdict, VariantResult } from '../result-types.js';
import { ratiosTo, runInterleaved, type LoadShape, type Progress, type VariantDef } from '../rounds.js';
import type { Topology } from '../topology/topology.js';
import type { CpuBudgets } from '../cpu-budget/cgroup.js';

/** What a side-by-side scenario declares; the helper does the rest. */
export interface SideBySideSpec {
  scenario: string;
  description: string;
  shape: LoadShape;
  variants: VariantDef[];
  /** Variant the ratios are taken against (default: the first that ran). */
  baseline?: string;
  analyse?: (variants: VariantResult[]) => { verdicts: Verdict[]; notes: string[] };
  notes?: string[];
}

/** Context every scenario gets from the CLI. */
export interface ScenarioContext {
  cfg: Readonly<RunnerConfig>;
  progress: Progress;
  command: string;
  /** Where `--cpu-budget` places scaled units; undefined when unbudgeted (no flag, or cgroups not writable). */
  budgets?: CpuBudgets;
}

/**
 * Filters variants (--variants, missing programs), starts them all, runs the
 * interleaved rounds, stops everything (also on failure), and assembles the result.
 */
export async function runSideBySide(ctx: ScenarioContext, spec: SideBySideSpec): Promise<ScenarioResult> {
  const startedAt = new Date().toISOString();
  const skipped: ScenarioResult['skipped'] = [];
  const wanted = spec.variants.filter((v) => !ctx.cfg.variants || ctx.cfg.variants.includes(v.name));
  const runnable: VariantDef[] = [];
  for (const v of wanted) {
    const reason = v.missing?.();
    if (reason) {
      skipped.push({ variant: v.name, reason });
      ctx.progress(`skip ${v.name}: ${reason}`);
    } else runnable.push(v);
  }
  const started: Array<{ def: VariantDef; topology: Topology }> = [];
  let variants: VariantResult[] = [];
  try {
    for (const def of runnable) {
      ctx.progress(`start ${def.name}`);
      try {
        started.push({ def, topology: await def.start() });
      } catch (err) {
        const reason = `did not start: ${messageOf(err).split('\n')[0]}`;
        skipped.push({ variant: def.name, reason });
        ctx.progress(`skip ${def.name}: ${reason}`);
      }
    }
    if (started.length > 0) {
      variants = await runInterleaved(
        started,
        { ...spec.shape, rate: ctx.cfg.rate },
        {
          durationS: ctx.cfg.durationS,
          warmupS: ctx.cfg.warmupS,
          rounds: ctx.cfg.rounds,
          maxRequestsPerStage: ctx.cfg.maxRequests,
        },
        ctx.progress,
      );
    }
  } finally {
    // Together: each stop waits for its processes (or its Compose project) to be gone.
    await Promise.all(started.map(({ topology }) => topology.stop()));
  }
  const base = variants.find((v) => v.name === spec.baseline) ?? variants[0];
  const analysis = spec.analyse && variants.length > 0 ? spec.analyse(variants) : { verdicts: [], notes: [] };
  return {
    scenario: spec.scenario,
    description: spec.description,
    command: ctx.command,
    machine: machineInfo(),
    startedAt,
    finishedAt: new Date().toISOString(),
    settings: {
      durationS: ctx.cfg.durationS,
      warmupS: ctx.cfg.warmupS,
      rounds: ctx.cfg.rounds,
      connections: spec.shape.connections,
      path: spec.shape.path,
      ...(ctx.cfg.rate ? { rate: ctx.cfg.rate } : {}),
      ...(ctx.budgets ? { cpuBudgetCores: ctx.cfg.cpuBudget, cgroup: ctx.budgets.version } : {}),
    },
    variants,
    ratios: base ? ratiosTo(base, variants.filter((v) => v !== base)) : [],
    verdicts: analysis.verdicts,
    notes: [...(spec.notes ?? []), ...analysis.notes],
    skipped,
  };
}

/** Sum of `cores` over CPU groups whose name starts with `prefix`. */
export function coresOf(v: VariantResult, prefix: string): number {
  return v.cpu.filter((g) => g.group.startsWith(prefix)).reduce((a, g) => a + g.cores, 0);
}

/** Sum of all cores the variant's processes and the load generator used. */
export function totalCores(v: VariantResult): number {
  return v.cpu.reduce((a, g) => a + g.cores, 0);
}
