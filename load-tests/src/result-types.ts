import type { CpuGroup } from './cpu-accounting.js';
import type { LatencySummary } from './histogram.js';
import type { MachineInfo } from './machine.js';

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

/** The JSON written to results/<scenario>.json and embedded in the HTML report. */
export interface ScenarioResult {
  scenario: string;
  description: string;
  command: string;
  machine: MachineInfo;
  startedAt: string;
  finishedAt: string;
  settings: { durationS: number; warmupS: number; rounds: number; connections: number; path: string };
  variants: VariantResult[];
  ratios: Ratio[];
  verdicts: Verdict[];
  notes: string[];
  skipped: Array<{ variant: string; reason: string }>;
}
