import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode } from '@tsgi/errors';

/** Which cgroup interface a budget is written to. */
export type CgroupVersion = 'v2' | 'v1';

/** Where budgets can be created, or why they cannot. */
export type CgroupSupport =
  | { ok: true; version: CgroupVersion; root: string }
  | { ok: false; reason: string };

/**
 * The CFS period every budget uses. The kernel default (100 ms) would let a
 * 0.1-core process run 10 ms and then stall 90 ms, quantising every latency
 * to 100 ms. Shorter is not free: at 10 ms each worker ran 1 ms at a time,
 * and the context switches and cold caches between a dozen budgeted
 * processes on two CPUs raised CPU per request by 10-30 % as workers were
 * added (the 1 → 4 ratios fell to about 3.0 x); at 20 ms the ratios held
 * (3.6-3.95 x), with a stall of at most 18 ms per period.
 */
export const CFS_PERIOD_US = 20_000;

const V2_ROOT = '/sys/fs/cgroup';
const CGROUP_V2_MAX_WEIGHT = 10_000;
const CGROUP_V1_MAX_SHARES = 262_144;
const V1_ROOTS = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct'];
const V1_MOUNTS = '/sys/fs/cgroup';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function writable(dir: string): string | undefined {
  const probe = join(dir, `tsgi-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return undefined;
  } catch (err) {
    return errorCode(err) ?? 'unwritable';
  }
}

/**
 * Finds a writable cgroup hierarchy with the cpu controller: v2 (unified,
 * `cpu.max`) first, then v1 (`cpu.cfs_quota_us`). Root can write both; a
 * container or an unprivileged user usually neither, and then the reason says
 * which was tried and what stopped it.
 */
export function detectCgroups(): CgroupSupport {
  const tried: string[] = [];
  const controllers = read(join(V2_ROOT, 'cgroup.controllers'));
  if (controllers !== undefined) {
    if (!controllers.split(/\s+/).includes('cpu')) tried.push('cgroup v2 has no cpu controller');
    else {
      const why = writable(V2_ROOT);
      if (why === undefined) return { ok: true, version: 'v2', root: V2_ROOT };
      tried.push(`cgroup v2 at ${V2_ROOT} is not writable (${why})`);
    }
  } else tried.push('no cgroup v2 (unified) hierarchy');
  for (const root of V1_ROOTS) {
    if (!existsSync(join(root, 'cpu.cfs_quota_us'))) continue;
    const why = writable(root);
    if (why === undefined) return { ok: true, version: 'v1', root };
    tried.push(`cgroup v1 at ${root} is not writable (${why})`);
  }
  if (tried.length === 1) tried.push('no cgroup v1 cpu hierarchy');
  return { ok: false, reason: tried.join('; ') };
}

/** CPU time a cgroup was throttled for, from its `cpu.stat`. */
export interface ThrottleStat {
  periods: number;
  throttledPeriods: number;
  throttledMs: number;
}

/** One cgroup with a CPU quota: the processes placed in it share `cores` of CPU. */
export class CpuBudget {
  constructor(
    readonly name: string,
    readonly cores: number,
    readonly path: string,
    private readonly version: CgroupVersion,
  ) {}

  /** Moves a process (all its threads) into this budget; its later children inherit it. */
  place(pid: number): void {
    writeFileSync(join(this.path, 'cgroup.procs'), `${pid}\n`);
  }

  /** Pids currently in the budget. */
  pids(): number[] {
    return (read(join(this.path, 'cgroup.procs')) ?? '')
      .split('\n')
      .filter(Boolean)
      .map(Number);
  }

  throttling(): ThrottleStat {
    const stat = read(join(this.path, 'cpu.stat')) ?? '';
    const field = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(stat)?.[1] ?? 0);
    return {
      periods: field('nr_periods'),
      throttledPeriods: field('nr_throttled'),
      // v2 counts microseconds, v1 nanoseconds.
      throttledMs: this.version === 'v2' ? field('throttled_usec') / 1000 : field('throttled_time') / 1e6,
    };
  }
}

/**
 * The CPU budget a process already runs under (a container's, set by Docker from
 * `cpus:`), read from `/proc/<pid>/cgroup` and the cgroup's quota: v2 when the
 * unified hierarchy is mounted at /sys/fs/cgroup, else v1's cpu controller.
 * Undefined when the process has no quota (unlimited) or its cgroup cannot be read.
 */
export function budgetOfProcess(pid: number, name: string): CpuBudget | undefined {
  const lines = (read(`/proc/${pid}/cgroup`) ?? '').split('\n');
  if (read(join(V2_ROOT, 'cgroup.controllers')) !== undefined) {
    const rel = lines.find((l) => l.startsWith('0::'))?.slice(3);
    if (rel === undefined) return undefined;
    const dir = join(V2_ROOT, rel);
    const [quota, period] = (read(join(dir, 'cpu.max')) ?? 'max').trim().split(/\s+/);
    const cores = Number(quota) / Number(period);
    return Number.isFinite(cores) && cores > 0 ? new CpuBudget(name, cores, dir, 'v2') : undefined;
  }
  const rel = lines.map((l) => l.split(':')).find((f) => f[1]?.split(',').includes('cpu'))?.[2];
  const root = V1_ROOTS.find((r) => existsSync(join(r, 'cpu.cfs_quota_us')));
  if (rel === undefined || root === undefined) return undefined;
  const dir = join(root, rel);
  const cores = Number(read(join(dir, 'cpu.cfs_quota_us'))) / Number(read(join(dir, 'cpu.cfs_period_us')));
  return Number.isFinite(cores) && cores > 0 ? new CpuBudget(name, cores, dir, 'v1') : undefined;
}

/**
 * A set of budgets under one parent cgroup named after this process, removed
 * together by `close()` (processes still inside are moved back to the root
 * first, so a budget never outlives the run).
 */
export class CpuBudgets {
  private readonly parent: string;
  private readonly budgets: CpuBudget[] = [];
  private nextId = 0;
  private outside: string | undefined;

  /**
   * The parent's path inside the hierarchy (`/tsgi-loadtest-<pid>`): what a container
   * runtime takes as `cgroup_parent`, so containers get the parent's weight as budgets do.
   */
  readonly cgroupParent = `/tsgi-loadtest-${process.pid}`;

  constructor(private readonly support: Extract<CgroupSupport, { ok: true }>) {
    this.parent = join(support.root, this.cgroupParent);
    mkdirSync(this.parent, { recursive: true });
    // A cgroup competes with its siblings as one scheduling entity of its weight, whatever the nice
    // values inside: at the default weight, all budgets together would get one process's share of a
    // busy machine. The highest weight lets each budget, not other load, be its limit.
    if (support.version === 'v2') {
      writeFileSync(join(this.parent, 'cgroup.subtree_control'), '+cpu\n');
      writeFileSync(join(this.parent, 'cpu.weight'), `${CGROUP_V2_MAX_WEIGHT}\n`);
    } else writeFileSync(join(this.parent, 'cpu.shares'), `${CGROUP_V1_MAX_SHARES}\n`);
  }

  get version(): CgroupVersion {
    return this.support.version;
  }

  /**
   * Puts a process that has no budget but must not be starved into a group of
   * the parent at the highest weight, without a quota: the runner, whose load
   * generator runs in it, and Docker's port relays. At the root among a busy
   * machine's processes, even at nice -10, the load generator got about 0.06
   * core while the budgets it loads needed more requests than that sends; then
   * the generator, not a tier, was the limit. Children it starts later inherit
   * the group (the masters; their workers are then moved into their budgets).
   */
  prioritise(pid: number): void {
    if (this.outside === undefined) {
      this.outside = join(this.parent, 'unbudgeted');
      mkdirSync(this.outside);
      if (this.support.version === 'v2') writeFileSync(join(this.outside, 'cpu.weight'), `${CGROUP_V2_MAX_WEIGHT}\n`);
      else writeFileSync(join(this.outside, 'cpu.shares'), `${CGROUP_V1_MAX_SHARES}\n`);
    }
    writeFileSync(join(this.outside, 'cgroup.procs'), `${pid}\n`);
  }

  create(name: string, cores: number): CpuBudget {
    const dir = join(this.parent, `${String(this.nextId++).padStart(3, '0')}-${name.replace(/[^\w.-]+/g, '_')}`);
    mkdirSync(dir);
    const quota = Math.max(1000, Math.round(cores * CFS_PERIOD_US));
    if (this.support.version === 'v2') writeFileSync(join(dir, 'cpu.max'), `${quota} ${CFS_PERIOD_US}\n`);
    else {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), `${CFS_PERIOD_US}\n`);
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), `${quota}\n`);
    }
    const budget = new CpuBudget(name, quota / CFS_PERIOD_US, dir, this.support.version);
    this.budgets.push(budget);
    return budget;
  }

  close(): void {
    const rootProcs = join(this.support.root, 'cgroup.procs');
    if (this.outside !== undefined) {
      for (const pid of (read(join(this.outside, 'cgroup.procs')) ?? '').split('\n').filter(Boolean)) {
        try {
          writeFileSync(rootProcs, `${pid}\n`);
        } catch {
          // Exited in between.
        }
      }
      try {
        rmdirSync(this.outside);
        this.outside = undefined;
      } catch {
        // Still emptying; the parent's removal below then fails too, and the OS keeps an empty group.
      }
    }
    for (const b of this.budgets.splice(0)) {
      for (const pid of b.pids()) {
        try {
          writeFileSync(rootProcs, `${pid}\n`);
        } catch {
          // Exited in between.
        }
      }
      try {
        rmdirSync(b.path);
      } catch {
        // A process still exiting keeps it busy for a moment; the parent's removal below retries nothing, the OS frees empty groups.
      }
    }
    try {
      rmdirSync(this.parent);
    } catch {
      // Still holds a budget whose last process was exiting.
    }
    // On v1 a container runtime given `cgroupParent` creates it in every controller's hierarchy.
    if (this.support.version === 'v1') {
      for (const controller of readdirSafe(V1_MOUNTS)) {
        try {
          rmdirSync(join(V1_MOUNTS, controller, this.cgroupParent));
        } catch {
          // Not there (the runtime was not used), or still emptying.
        }
      }
    }
  }
}
