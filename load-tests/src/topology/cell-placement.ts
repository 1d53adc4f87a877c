import type { Topology } from './topology.js';

/** One cell of the scaling matrix: how many units each tier runs. */
export interface Cell {
  proxyWorkers: number;
  appWorkers: number;
}

/** `proxy2-app8`: a cell's variant name in every table and chart. */
export const cellName = (c: Cell): string => `proxy${c.proxyWorkers}-app${c.appWorkers}`;

/**
 * Where the tiers of a matrix cell run. The matrix (cells, cuts, bottlenecks,
 * gates, report) is one implementation; only this differs: worker processes on
 * this host, each in its own cgroup (`processes`), or Compose replicas, each a
 * container with one worker and `cpus:` (`containers`).
 */
export interface CellPlacement {
  topology: 'processes' | 'containers';
  /** What one scaled unit is called in sentences and charts. */
  unit: 'workers' | 'replicas';
  /** CPU each unit may use (the cgroup quota or `cpus:`), or null when unbudgeted. */
  budgetCores: number | null;
  /** Why this placement cannot run here, or undefined. */
  missing(): string | undefined;
  /** Runs once before the first cell starts, with every cell the run will start (the containers build their images and bring the cells up). */
  prepare(cells: Cell[]): Promise<void>;
  /** Starts one cell's tiers, ready for load at `path`; stopping the topology removes all of it. */
  start(cell: Cell, path: string): Promise<Topology>;
  /** How the tiers run, for the scenario's description. */
  description: string;
}
