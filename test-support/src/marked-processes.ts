import { readdirSync, readFileSync } from 'node:fs';

/**
 * Pids of live processes whose environment holds `name=value` (zombies left
 * out): a test marks every process of its run with a variable that children
 * inherit, then finds them all, however they were spawned, to check that none
 * outlives the run or to kill what is left.
 */
export function pidsWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(needle)) out.push(Number(entry));
    } catch {
      // Gone while we looked, or not ours to read.
    }
  }
  return out;
}
