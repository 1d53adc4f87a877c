import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MASTER = fileURLToPath(new URL('./fixtures/master.ts', import.meta.url));

/** One line the test master printed (see fixtures/master.ts). */
export interface MasterLine {
  kind: string;
  [key: string]: unknown;
}

/** A test master as a real child process: its printed lines, a way to wait for one, its exit. */
export interface MasterProcess {
  proc: ChildProcess;
  pid: number;
  lines: MasterLine[];
  /** Resolves the first line (already printed or still to come) that `match` accepts. */
  waitFor(match: (line: MasterLine) => boolean, what: string, timeoutMs?: number): Promise<MasterLine>;
  /** Resolves the exit code; rejects after `timeoutMs` (the master is SIGKILLed with its workers then). */
  exit(timeoutMs?: number): Promise<number | null>;
  kill(sig: NodeJS.Signals): void;
  /** Pids of every worker it spawned. */
  workerPids(): number[];
}

export function startMaster(options: object): MasterProcess {
  const proc = spawn(process.execPath, ['--conditions=@tsgi/source', '--import', 'tsx', MASTER], {
    env: { ...process.env, ARBITER_TEST: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: MasterLine[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        lines.push(JSON.parse(text) as MasterLine);
      } catch {
        lines.push({ kind: 'text', text });
      }
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const workerPids = (): number[] => lines.filter((l) => l.kind === 'spawned').map((l) => l.pid as number);
  const master: MasterProcess = {
    proc,
    pid: proc.pid!,
    lines,
    workerPids,
    kill: (sig) => process.kill(proc.pid!, sig),
    waitFor(match, what, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = lines.find(match);
          if (!found) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}; master printed:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async exit(timeoutMs = 20_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          killAll(master);
          reject(new Error(`master did not exit in ${timeoutMs} ms; it printed:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return master;
}

/** SIGKILLs the master and every worker it spawned (test cleanup). */
export function killAll(master: MasterProcess): void {
  for (const pid of [master.pid, ...master.workerPids()]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until none of `pids` is alive (workers exit just after the master saw their exit). */
export async function allGone(pids: number[], timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pids.some(isAlive)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
