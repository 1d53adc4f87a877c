import { cpuBetween, machineBusyBetween, mergeCpu, snapshot, treeCpuBetween, type CpuGroup } from './cpu-accounting.js';
import { LatencyHistogram } from './histogram.js';
import { runStageOver, type StageResult, type StageSpec } from './load-stage.js';
import type { BudgetUse, Ratio, VariantResult } from './result-types.js';
import type { Topology } from './topology/topology.js';

/** One configuration of a side-by-side scenario. */
export interface VariantDef {
  name: string;
  params: Record<string, string | number>;
  /** Why this variant cannot run here (missing program); checked before starting anything. */
  missing?: () => string | undefined;
  start(): Promise<Topology>;
  /** Connections for this variant instead of the scenario's (the scaling cells size the load to their capacity). */
  connections?: number;
}

/** The load each stage applies. */
export interface LoadShape {
  path: string;
  connections: number;
  pipelining?: number;
  /** Open-model arrival rate (`--rate`); undefined: closed model. */
  rate?: { from: number; to: number };
}

export interface RoundSettings {
  durationS: number;
  warmupS: number;
  rounds: number;
  maxRequestsPerStage: number;
}

/** Accumulates one variant across rounds. */
class Accumulator {
  responses = 0;
  ok = 0;
  non2xx = 0;
  errors = 0;
  statusCounts: Record<string, number> = {};
  durationS = 0;
  bytes = 0;
  histogram = new LatencyHistogram();
  roundRps: number[] = [];
  cpu: CpuGroup[] = [];
  machineBusyMs = 0;
  events: string[] = [];
  /** Budgeted processes by pid: CPU ms and throttled ms summed over stages. */
  budgetUse = new Map<number, { tier: string; budgetCores: number; cpuMs: number; throttledMs: number }>();

  add(stage: StageResult, cpu: CpuGroup[], machineBusyMs = 0, budgets: StageBudgetUse[] = []): void {
    this.machineBusyMs += machineBusyMs;
    for (const b of budgets) {
      const cur = this.budgetUse.get(b.pid) ?? { tier: b.tier, budgetCores: b.budgetCores, cpuMs: 0, throttledMs: 0 };
      cur.cpuMs += b.cpuMs;
      cur.throttledMs += b.throttledMs;
      this.budgetUse.set(b.pid, cur);
    }
    this.responses += stage.responses;
    this.ok += stage.ok;
    this.non2xx += stage.non2xx;
    this.errors += stage.errors;
    for (const [k, v] of Object.entries(stage.statusCounts)) this.statusCounts[k] = (this.statusCounts[k] ?? 0) + v;
    this.durationS += stage.durationS;
    this.bytes += stage.bytes;
    this.histogram.add(stage.histogram);
    this.roundRps.push(stage.durationS > 0 ? stage.ok / stage.durationS : 0);
    this.cpu = mergeCpu(this.cpu, cpu);
  }

  result(def: { name: string; params: Record<string, string | number> }): VariantResult {
    const rps = this.durationS > 0 ? this.ok / this.durationS : 0;
    return {
      name: def.name,
      params: def.params,
      responses: this.responses,
      ok: this.ok,
      non2xx: this.non2xx,
      errors: this.errors,
      statusCounts: this.statusCounts,
      durationS: round(this.durationS, 3),
      rps: round(rps, 1),
      bytes: this.bytes,
      latency: this.histogram.summary(),
      latencyCurve: this.histogram.curve(),
      roundRps: this.roundRps.map((r) => round(r, 1)),
      machineCores: round(this.durationS > 0 ? this.machineBusyMs / 1000 / this.durationS : 0, 3),
      cpu: this.cpu.map((g) => ({
        ...g,
        cpuMs: round(g.cpuMs, 1),
        cores: round(this.durationS > 0 ? g.cpuMs / 1000 / this.durationS : 0, 3),
        cpuUsPerRequest: round(this.responses > 0 ? (g.cpuMs * 1000) / this.responses : 0, 2),
      })),
      ...(this.events.length > 0 ? { events: this.events } : {}),
      ...(this.budgetUse.size > 0 ? { budgets: this.budgetResults() } : {}),
    };
  }

  private budgetResults(): BudgetUse[] {
    return [...this.budgetUse].map(([pid, b]) => ({
      tier: b.tier,
      pid,
      budgetCores: b.budgetCores,
      usedCores: round(this.durationS > 0 ? b.cpuMs / 1000 / this.durationS : 0, 3),
      throttledMs: round(b.throttledMs, 1),
    }));
  }
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** One budgeted process over one stage. */
export interface StageBudgetUse {
  tier: string;
  pid: number;
  budgetCores: number;
  cpuMs: number;
  throttledMs: number;
}

/** Runs one measured stage against a topology and accounts CPU for every process in it. */
export async function measuredStage(
  topology: Topology,
  urls: readonly string[],
  spec: Omit<StageSpec, 'url'>,
  during?: (running: Promise<StageResult>) => Promise<void>,
): Promise<{ stage: StageResult; cpu: CpuGroup[]; machineBusyMs: number; budgets: StageBudgetUse[] }> {
  const throttledBefore = topology.budgets.map((b) => b.budget.throttling().throttledMs);
  const before = snapshot(topology);
  const running = runStageOver(urls, spec);
  if (during) await during(running);
  const stage = await running;
  const after = snapshot(topology);
  const budgets = topology.budgets.map((b, i) => ({
    tier: b.tier,
    pid: b.pid,
    budgetCores: b.budget.cores,
    // A worker's budget holds the worker; a container's holds its init and every process under it.
    cpuMs: treeCpuBetween(before, after, b.pid),
    throttledMs: b.budget.throttling().throttledMs - (throttledBefore[i] ?? 0),
  }));
  return { stage, cpu: cpuBetween(before, after), machineBusyMs: machineBusyBetween(before, after), budgets };
}

export type Progress = (line: string) => void;

function progressLine(roundNo: number, rounds: number, name: string, stage: StageResult, cpu: CpuGroup[], machineBusyMs: number): string {
  const rps = stage.durationS > 0 ? stage.ok / stage.durationS : 0;
  const cores = cpu
    .filter((g) => g.cpuMs > 0)
    .map((g) => `${g.group} ${(g.cpuMs / 1000 / stage.durationS).toFixed(2)}`)
    .join(', ');
  const failed = stage.errors + (stage.responses - stage.ok);
  return `[round ${roundNo}/${rounds}] ${name.padEnd(22)} ${rps.toFixed(0).padStart(7)} req/s  p50 ${stage.histogram
    .atMs(50)
    .toFixed(2)} ms  p99 ${stage.histogram.atMs(99).toFixed(2)} ms  failed ${failed}  cores: ${cores} (machine ${(machineBusyMs / 1000 / stage.durationS).toFixed(2)})`;
}

/**
 * Starts every variant, then runs `rounds` rounds; in each round every variant
 * gets a warm-up and a measured stage, in an order rotated per round so drift
 * on a shared machine falls on all variants alike.
 */
export async function runInterleaved(
  variants: Array<{ def: VariantDef; topology: Topology }>,
  shape: LoadShape,
  settings: RoundSettings,
  progress: Progress,
): Promise<VariantResult[]> {
  const acc = variants.map(() => new Accumulator());
  for (let r = 0; r < settings.rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + r) % variants.length;
      // i < variants.length, and acc has one accumulator per variant.
      const { def, topology } = variants[i]!;
      const base = {
        connections: def.connections ?? shape.connections,
        pipelining: shape.pipelining,
        maxRequests: settings.maxRequestsPerStage,
        rate: shape.rate,
      };
      const urls = topology.origins.map((o) => o + shape.path);
      if (settings.warmupS > 0) {
        await runStageOver(urls, { ...base, durationS: settings.warmupS });
      }
      const { stage, cpu, machineBusyMs, budgets } = await measuredStage(topology, urls, { ...base, durationS: settings.durationS });
      acc[i]!.add(stage, cpu, machineBusyMs, budgets);
      progress(progressLine(r + 1, settings.rounds, def.name, stage, cpu, machineBusyMs));
    }
  }
  return variants.map(({ def }, i) => acc[i]!.result(def));
}

/** Throughput and p99 of each variant relative to the first one. */
export function ratiosTo(baseline: VariantResult, others: VariantResult[]): Ratio[] {
  return others.map((v) => {
    const perRound = v.roundRps.map((r, i) => (baseline.roundRps[i] ? r / baseline.roundRps[i] : 0));
    return {
      variant: v.name,
      baseline: baseline.name,
      rps: round(baseline.rps > 0 ? v.rps / baseline.rps : 0, 3),
      p99: round(baseline.latency.p99 > 0 ? v.latency.p99 / baseline.latency.p99 : 0, 3),
      roundMin: round(Math.min(...perRound), 3),
      roundMax: round(Math.max(...perRound), 3),
    };
  });
}

export { Accumulator };
