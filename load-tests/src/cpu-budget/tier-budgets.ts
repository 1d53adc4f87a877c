import { spawnSync } from 'node:child_process';
import { availableParallelism, setPriority } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { workerChildren } from '../proc-stats.js';
import type { Component } from '../topology/topology.js';
import type { CpuBudget, CpuBudgets } from './cgroup.js';

/** One process placed in its own budget: the report's unit of "budget given vs CPU used". */
export interface PlacedBudget {
  /** The tier the process belongs to (`proxy`, `app`). */
  tier: string;
  pid: number;
  budget: CpuBudget;
}

/** Waits until a master has `count` workers (the proxy reports no readiness line per worker). */
async function workersOf(master: Component, count: number, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = workerChildren(master.proc.pid);
    if (pids.length >= count) return pids;
    if (Date.now() > deadline) throw new Error(`${master.role}: ${pids.length} of ${count} workers after ${timeoutMs} ms`);
    await delay(50);
  }
}

/**
 * Scheduling priority of budgeted workers and of the load generator. On a
 * machine busy with other work, a worker at the default priority would get
 * less than its budget and the budget would no longer be the limit; ahead of
 * the other work, it gets exactly its quota (test/cpu-budget.test.ts).
 */
export const BUDGETED_NICE = -10;

/** Raises a process's priority where allowed (root); a refusal leaves it as it was. */
export function raisePriority(pid: number): void {
  try {
    setPriority(pid, BUDGETED_NICE);
  } catch {
    // Not root: the budget still caps the process, other load may also slow it.
  }
}

let nextCpu = 0;

/**
 * Pins every thread of a budgeted process to one CPU, the processes spread
 * round-robin over the machine's CPUs. CFS hands out a quota in slices of up
 * to 5 ms per CPU (sched_cfs_bandwidth_slice_us): a Node process whose threads
 * run on two CPUs gets its 1 ms quota taken by one CPU's run queue while a
 * thread on the other is throttled, so a 0.1-core worker measured about half
 * its budget and was throttled anyway. On one CPU its quota is its own.
 */
function pinToOneCpu(pid: number): void {
  const cpu = nextCpu++ % availableParallelism();
  spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore', timeout: 5000 });
}

/**
 * Puts each worker of a tier's master in a budget of its own, as a pod per
 * replica gets `resources.limits.cpu`. The master stays outside: it is not a
 * scaled unit and does no request work.
 */
export async function budgetWorkers(budgets: CpuBudgets, tier: string, master: Component, workers: number, cores: number): Promise<PlacedBudget[]> {
  const pids = await workersOf(master, workers, 20_000);
  return pids.map((pid, i) => {
    const budget = budgets.create(`${tier}-${master.proc.pid}-w${i + 1}`, cores);
    budget.place(pid);
    raisePriority(pid);
    pinToOneCpu(pid);
    return { tier, pid, budget };
  });
}
