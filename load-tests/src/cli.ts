#!/usr/bin/env node
// npm run loadtest -- --scenario <name> [options]: starts the topology,
// runs the bounded interleaved stages, writes results/<scenario>.json + .html.
import { messageOf } from '@tsgi/errors';
import { ConfigError, LoadTestError, type LoadTestErrorCode } from './errors.js';
import { loadConfig } from './config.js';
import { writeResults } from './report/write-results.js';
import { isScalingScenario, SCENARIO_RUNNERS } from './scenarios/index.js';
import { textSummary } from './summary.js';
import { containersRun } from './containers/compose-stack.js';
import { CpuBudgets, detectCgroups } from './cpu-budget/cgroup.js';
import { BUDGETED_NICE, raisePriority } from './cpu-budget/tier-budgets.js';
import { sloVerdicts } from './gates/slo.js';
import { compareVerdicts, readBaselineResult } from './gates/compare.js';
import type { ScenarioResult } from './result-types.js';
import { capacityAdvice, kustomizePatch } from './capacity/advice.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

type Config = ReturnType<typeof loadConfig>;

/** `--target-rate`: the advice in the result, and the patch written beside it; one line per tier. */
async function withCapacity(result: ScenarioResult, cfg: Config): Promise<ScenarioResult> {
  if (cfg.targetRate === undefined) return result;
  if (!result.matrix) {
    console.error(`capacity: --target-rate needs a scaling scenario (scaling-matrix, app-scaling, proxy-scaling); ${result.scenario} has no matrix`);
    return result;
  }
  const advice = capacityAdvice(result, { targetRate: cfg.targetRate, podCpuLimit: cfg.podCpuLimit, utilisationCeiling: cfg.utilisationCeiling });
  await mkdir(cfg.outDir, { recursive: true });
  const file = join(cfg.outDir, 'capacity-patch.yaml');
  await writeFile(file, kustomizePatch(advice));
  for (const t of advice.tiers) {
    console.log(
      `capacity ${t.tier}: ${t.replicas} replica(s) x ${t.workersPerReplica} worker(s), cpu request ${t.cpuRequestMillis}m limit ${t.cpuLimit} ` +
        `(${t.perCoreRps} req/s per core measured; ${Math.round(t.expectedUtilisation * 100)} % of the limit at ${cfg.targetRate} req/s)`,
    );
  }
  console.log(`capacity: Kustomize patch written to ${file}`);
  return { ...result, capacity: advice };
}

/**
 * Where `--cpu-budget` can place processes; one line and an unbudgeted run where it cannot.
 * In containers Docker applies the budget (`cpus:`); the cgroup parent only gives the
 * replicas the highest CPU weight, and without it they keep Docker's.
 */
function openBudgets(cores: number | undefined, containers: boolean, progress: (line: string) => void): CpuBudgets | undefined {
  if (cores === undefined) return undefined;
  const support = detectCgroups();
  if (!support.ok) {
    progress(containers ? `cpu budget: cpus: ${cores} per replica; Docker's CPU weight for the replicas: ${support.reason}` : `cpu budget: not applied, running unbudgeted: ${support.reason}`);
    return undefined;
  }
  const budgets = new CpuBudgets(support);
  raisePriority(process.pid);
  budgets.prioritise(process.pid);
  progress(
    containers
      ? `cpu budget: cpus: ${cores} per replica (Docker), the replicas under ${budgets.cgroupParent} at the highest CPU weight (cgroup ${support.version}); the load generator beside them at that weight and nice ${BUDGETED_NICE}`
      : `cpu budget: ${cores} core per worker (cgroup ${support.version}, ${support.root}; budgeted workers and the load generator at nice ${BUDGETED_NICE}, the load generator in an unbudgeted group at the budgets' weight)`,
  );
  return budgets;
}

/** SLO and regression checks, added to the scenario's own. */
function withGates(result: ScenarioResult, cfg: Config): ScenarioResult {
  const extra = [
    ...sloVerdicts(cfg.slo, result.variants),
    ...(cfg.compare ? compareVerdicts(readBaselineResult(cfg.compare), result.variants, cfg.compareTolerance) : []),
  ];
  return extra.length === 0 ? result : { ...result, verdicts: [...result.verdicts, ...extra] };
}

async function main(): Promise<number> {
  let cfg;
  try {
    cfg = loadConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const progress = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const command = `npm run loadtest -- ${process.argv.slice(2).join(' ')}`;
  if (cfg.capacityFrom) {
    let earlier: ScenarioResult;
    try {
      earlier = readBaselineResult(cfg.capacityFrom);
    } catch (err) {
      console.error(`config: ${messageOf(err)} (from --capacity-from)`);
      return 2;
    }
    await withCapacity(earlier, cfg);
    return 0;
  }
  // Read before the run, so a bad file costs no minutes of load; it is a bad flag value (exit 2).
  if (cfg.compare) {
    try {
      readBaselineResult(cfg.compare);
    } catch (err) {
      console.error(`config: ${messageOf(err)} (from --compare)`);
      return 2;
    }
  }
  // The scaling scenarios run their matrix in containers; the others bring up the Compose stack as it is.
  const matrixInContainers = cfg.containers && isScalingScenario(cfg.scenario);
  const budgets = cfg.containers && !matrixInContainers ? undefined : openBudgets(cfg.cpuBudget, cfg.containers, progress);
  process.once('exit', () => budgets?.close());
  const ctx = { cfg, progress, command, budgets };
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    progress(`${sig}: stopping (children are killed on exit)`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const raw = cfg.containers && !matrixInContainers ? await containersRun(ctx) : await SCENARIO_RUNNERS[cfg.scenario](ctx);
  const result = await withCapacity(withGates(raw, cfg), cfg);
  const paths = await writeResults(cfg.outDir, result, cfg.html);
  console.log(textSummary(result));
  console.log(`results: ${paths.json}${paths.html ? ` and ${paths.html}` : ''}`);
  // A check that printed FAIL fails the command, so the run can gate a pipeline.
  const failed = result.verdicts.filter((v) => !v.holds);
  if (failed.length > 0) {
    console.error(`loadtest: FAIL: ${failed.length} of ${result.verdicts.length} checks failed; first: ${failed[0]!.claim}: ${failed[0]!.detail}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code: LoadTestErrorCode = err instanceof LoadTestError ? err.code : 'LT_ERR_UNEXPECTED';
    console.error(`loadtest: ${code}: ${messageOf(err)}`);
    process.exit(1);
  },
);
