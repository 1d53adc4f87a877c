// The processes a proxy bench starts: each child with its output watched for a ready mark, and the proxy's worker.
import { execFileSync, spawn } from 'node:child_process';

/** Every child a bench started, for its cleanup. */
export const procs = [];

/**
 * Spawns `cmd argv` and resolves once `ready(output so far)` returns something other than undefined
 * (20 s at most): `{ child, value }`.
 * @param {string} cmd @param {string[]} argv @param {(out: string) => unknown} ready
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, value: any }>}
 */
export function start(cmd, argv, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`not ready: ${out.slice(-500)}`)), 20_000);
    /** @param {Buffer} d */
    const on = (d) => {
      out += d;
      const v = ready(out);
      if (v !== undefined) {
        clearTimeout(timer);
        resolve({ child, value: v });
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
  });
}

/**
 * The proxy's worker: the master's child since workers: 1 runs under the arbiter, the process itself in older builds.
 * @param {number} masterPid
 */
export function workerOf(masterPid) {
  try {
    return Number(execFileSync('pgrep', ['-P', String(masterPid)], { encoding: 'latin1' }).trim().split('\n')[0]);
  } catch {
    return masterPid;
  }
}
