import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** One process as `/proc` shows it at one instant. */
export interface ProcSample {
  pid: number;
  ppid: number;
  /** Executable name from `/proc/<pid>/stat` (at most 15 characters). */
  comm: string;
  /** user + system CPU time so far, in milliseconds. */
  cpuMs: number;
  /** Resident set size in bytes (`VmRSS`). */
  rssBytes: number;
}

let ticksPerSecond: number | undefined;

/** `sysconf(_SC_CLK_TCK)`: the unit of utime/stime in `/proc/<pid>/stat`. */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number.parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim(), 10);
    } catch {
      ticksPerSecond = 100;
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads one process; undefined when it is gone (exited between listing and reading). */
export function sampleProcess(pid: number): ProcSample | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // comm may contain spaces and parentheses: the fields after it start at the last ')'.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(open + 1, close);
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is state (field 3); utime is field 14, stime field 15 (1-based in proc(5)).
  const ppid = Number(fields[1]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readText(`/proc/${pid}/status`) ?? '';
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return {
    pid,
    ppid,
    comm,
    cpuMs: ((utime + stime) * 1000) / clockTicks(),
    rssBytes: rss ? Number(rss[1]) * 1024 : 0,
  };
}

/** Direct children of a process, from every thread's `children` list. */
export function childPids(pid: number): number[] {
  const out = new Set<number>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  for (const tid of tasks) {
    const text = readText(`/proc/${pid}/task/${tid}/children`);
    if (!text) continue;
    for (const part of text.trim().split(/\s+/)) {
      const child = Number(part);
      if (Number.isInteger(child) && child > 0) out.add(child);
    }
  }
  return [...out];
}

/**
 * Children running the same program as the parent: a pre-fork master's
 * workers (tsx's esbuild service is a child too, and is not a worker).
 */
export function workerChildren(pid: number): number[] {
  const master = sampleProcess(pid);
  if (!master) return [];
  return childPids(pid).filter((p) => sampleProcess(p)?.comm === master.comm);
}

/** The process and all its descendants, parents before children. */
export function processTree(rootPid: number): number[] {
  const out: number[] = [];
  const queue = [rootPid];
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    if (sampleProcess(pid) === undefined) continue;
    out.push(pid);
    queue.push(...childPids(pid));
  }
  return out;
}

/** Samples a process and every descendant. */
export function sampleTree(rootPid: number): ProcSample[] {
  const out: ProcSample[] = [];
  for (const pid of processTree(rootPid)) {
    const s = sampleProcess(pid);
    if (s) out.push(s);
  }
  return out;
}

/** Start time of a process in clock ticks since boot (identifies it across pid reuse); -1 when gone. */
export function startTime(pid: number): number {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return -1;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[19]);
}

/** Open file descriptors of a process (entries of `/proc/<pid>/fd`); -1 when it is gone. */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** The command line of a process, for labels; empty when it is gone. */
export function commandLine(pid: number): string[] {
  const text = readText(`/proc/${pid}/cmdline`);
  if (!text) return [];
  return text.split('\0').filter((s) => s.length > 0);
}

/** The CPU time this process (the runner itself, load generator included) has used, in ms. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Machine-wide CPU time from `/proc/stat`, in ms summed over all cores. */
export function systemCpu(): { busyMs: number; totalMs: number } {
  const line = (readText('/proc/stat') ?? '').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const total = v.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const tick = 1000 / clockTicks();
  return { busyMs: (total - idle) * tick, totalMs: total * tick };
}
