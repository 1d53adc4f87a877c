import type { CpuGroup } from './cpu-accounting.js';
import type { LatencySummary } from './histogram.js';
import type { MachineInfo } from './machine.js';
import type { CapacityAdvice } from './capacity/advice.js';

/** One configuration's totals over all its rounds. */
export interface VariantResult {
  name: string;
  params: Record<string, string | number>;
  /** Responses of any status. */
  responses: number;
  ok: number;
  non2xx: number;
  /** Requests that got no response (connection errors, timeouts). */
  errors: number;
  statusCounts: Record<string, number>;
  durationS: number;
  /** 2xx responses per second over the measured time. */
  rps: number;
  bytes: number;
  latency: LatencySummary;
  /** [percentile, ms] pairs for the latency chart. */
  latencyCurve: Array<[number, number]>;
  /** Requests per second in each round, in round order (shows the noise). */
  roundRps: number[];
  cpu: Array<CpuGroup & { cores: number; cpuUsPerRequest: number }>;
  /** Cores the whole machine was busy on average (ours and every other process): shows a shared, noisy machine. */
  machineCores: number;
  /** Free-form facts a fault stage records (events fired, counts). */
  events?: string[];
  /** Per budgeted process (`--cpu-budget`): the budget it had and the CPU it used over the measured stages. */
  budgets?: BudgetUse[];
}

/** One process's CPU budget (a cgroup quota) against what it used. */
export interface BudgetUse {
  tier: string;
  pid: number;
  /** Cores the quota allows (`cpu.max` / `cpu.cfs_quota_us` over the period). */
  budgetCores: number;
  /** Cores the process used on average over the measured stages. */
  usedCores: number;
  /** Time the kernel held the process back for exceeding its quota, over the measured stages. */
  throttledMs: number;
}

/** A ratio of one variant to the scenario's baseline. */
export interface Ratio {
  variant: string;
  baseline: string;
  rps: number;
  p99: number;
  /** Lowest and highest per-round throughput ratio (interleaved rounds). */
  roundMin: number;
  roundMax: number;
}

/** A claim the scenario checks, e.g. "2 app workers >= 1.6 x 1 worker". */
export interface Verdict {
  claim: string;
  holds: boolean;
  detail: string;
}

/** A tier of the stack, by its one name in every table and chart. */
export type Tier = 'proxy' | 'app';

/**
 * One cell of the scaling matrix (`scaling-matrix`, `app-scaling`, `proxy-scaling`).
 * `utilisation` is the tier's CPU used over the CPU it may use: its budgets'
 * sum under `--cpu-budget`, else one core per worker. `bottleneck` is the tier
 * at >= 0.8 of its budget (the higher one), `machine` when unbudgeted and the
 * machine was saturated first, `none` when neither limit was reached.
 */
export interface MatrixCell {
  variant: string;
  proxyWorkers: number;
  appWorkers: number;
  rps: number;
  p99Ms: number;
  utilisation: Record<Tier, number>;
  bottleneck: Tier | 'machine' | 'none';
}

/** One step of a one-dimensional cut: `ratio` is throughput over the cut's first step. */
export interface MatrixStep {
  workers: number;
  rps: number;
  ratio: number;
  bottleneck: MatrixCell['bottleneck'];
  /** The ratio the step must reach (0.9 x the worker ratio, 0.85 x from 4 x on); absent where the other tier was the bottleneck. */
  want?: number;
  holds?: boolean;
}

/** A cut through the matrix: one tier swept, the other fixed at twice the sweep's largest count. */
export interface MatrixCut {
  tier: Tier;
  fixed: { tier: Tier; workers: number };
  steps: MatrixStep[];
  /** One sentence for a person, e.g. "proxy tier: 1→2→4 workers gave 1.9 × / 3.7 × while the app tier had headroom". */
  sentence: string;
}

/** The scaling scenarios' own section of the result. */
export interface ScalingMatrix {
  /**
   * Where the tiers ran: worker processes on this host, or Compose containers (`--containers`),
   * where each unit counted in `proxyWorkers` / `appWorkers` is a replica with one worker.
   * Absent in results written before containers ran the matrix: processes.
   */
  topology?: 'processes' | 'containers';
  /** `--cpu-budget` per worker (per replica in containers), or null when unbudgeted. */
  budgetCores: number | null;
  cells: MatrixCell[];
  cuts: MatrixCut[];
}

/** The JSON written to results/<scenario>.json and embedded in the HTML report. */
export interface ScenarioResult {
  scenario: string;
  description: string;
  command: string;
  machine: MachineInfo;
  startedAt: string;
  finishedAt: string;
  settings: {
    durationS: number;
    warmupS: number;
    rounds: number;
    connections: number;
    path: string;
    /** Open-model rate (`--rate`), requests/s; absent for the closed model. */
    rate?: { from: number; to: number };
    /** `--cpu-budget` as applied, and the cgroup interface used; absent when unbudgeted. */
    cpuBudgetCores?: number;
    cgroup?: 'v1' | 'v2';
  };
  variants: VariantResult[];
  ratios: Ratio[];
  verdicts: Verdict[];
  notes: string[];
  skipped: Array<{ variant: string; reason: string }>;
  /** Scaling scenarios only: each cell's bottleneck and each cut's ratios. */
  matrix?: ScalingMatrix;
  /** The one-line verdict and one sentence per tier, shown first in the report. */
  headline?: string[];
  /** `--target-rate`: what each tier needs for that rate, and the model behind it. */
  capacity?: CapacityAdvice;
}
