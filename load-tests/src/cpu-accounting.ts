import { sampleTree, selfCpuMs, systemCpu, type ProcSample } from './proc-stats.js';
import type { Topology } from './topology/topology.js';

/** CPU and memory of one group of processes (e.g. "edge workers") over one measured span. */
export interface CpuGroup {
  group: string;
  processes: number;
  cpuMs: number;
  rssBytes: number;
}

export interface Snapshot {
  at: number;
  self: number;
  machineBusyMs: number;
  byPid: Map<number, { group: string; sample: ProcSample }>;
}

/**
 * Report label of one process of a component's tree: the root alone is the
 * role; with same-program children it is the master and they are the workers;
 * helpers of another program (tsx's esbuild service) are named by program.
 */
function groupName(role: string, s: ProcSample, root: ProcSample, tree: ProcSample[]): string {
  const workers = tree.filter((p) => p.pid !== root.pid && p.comm === root.comm).length;
  if (s.pid === root.pid) return workers > 0 ? `${role} master` : role;
  return s.comm === root.comm ? `${role} workers` : `${role} ${s.comm}`;
}

/** Samples every process of the topology (each component's whole tree) and the runner itself. */
export function snapshot(topology: Topology): Snapshot {
  const byPid = new Map<number, { group: string; sample: ProcSample }>();
  for (const c of topology.components) {
    if (c.proc.hasExited) continue;
    const tree = sampleTree(c.proc.pid);
    const root = tree.find((p) => p.pid === c.proc.pid);
    if (!root) continue;
    for (const s of tree) byPid.set(s.pid, { group: groupName(c.role, s, root, tree), sample: s });
  }
  return { at: performance.now(), self: selfCpuMs(), machineBusyMs: systemCpu().busyMs, byPid };
}

/**
 * CPU used between two snapshots, by group. A process that appeared in
 * between counts from zero; one that died in between is lost (its CPU went to
 * its parent's cutime), which the fault stages accept.
 */
export function cpuBetween(before: Snapshot, after: Snapshot): CpuGroup[] {
  const groups = new Map<string, CpuGroup>();
  const get = (name: string): CpuGroup => {
    let g = groups.get(name);
    if (!g) {
      g = { group: name, processes: 0, cpuMs: 0, rssBytes: 0 };
      groups.set(name, g);
    }
    return g;
  };
  for (const [pid, { group, sample }] of after.byPid) {
    const prev = before.byPid.get(pid);
    const g = get(group);
    g.processes += 1;
    g.cpuMs += sample.cpuMs - (prev ? prev.sample.cpuMs : 0);
    g.rssBytes += sample.rssBytes;
  }
  const lg = get('load generator');
  lg.processes = 1;
  lg.cpuMs += after.self - before.self;
  lg.rssBytes = process.memoryUsage().rss;
  return [...groups.values()];
}

/**
 * CPU used between two snapshots by one process and every process under it
 * (a container's init and its workers); one that appeared in between counts from zero.
 */
export function treeCpuBetween(before: Snapshot, after: Snapshot, root: number): number {
  const parentOf = new Map([...after.byPid].map(([pid, { sample }]) => [pid, sample.ppid]));
  const under = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && hops < 64; p = parentOf.get(p), hops++) if (p === root) return true;
    return false;
  };
  let ms = 0;
  for (const [pid, { sample }] of after.byPid) {
    if (under(pid)) ms += sample.cpuMs - (before.byPid.get(pid)?.sample.cpuMs ?? 0);
  }
  return ms;
}

/** CPU the whole machine spent between two snapshots (all processes, ours and others), in ms. */
export function machineBusyBetween(before: Snapshot, after: Snapshot): number {
  return Math.max(0, after.machineBusyMs - before.machineBusyMs);
}

/** Adds `more` into `into`, group by group (used to sum rounds); RSS keeps the maximum. */
export function mergeCpu(into: CpuGroup[], more: CpuGroup[]): CpuGroup[] {
  const out = new Map(into.map((g) => [g.group, { ...g }]));
  for (const g of more) {
    const cur = out.get(g.group);
    if (cur) {
      cur.cpuMs += g.cpuMs;
      cur.rssBytes = Math.max(cur.rssBytes, g.rssBytes);
      cur.processes = Math.max(cur.processes, g.processes);
    } else out.set(g.group, { ...g });
  }
  return [...out.values()];
}
