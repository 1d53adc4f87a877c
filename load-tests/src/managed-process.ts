import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { NotReadyError } from './errors.js';
import { processTree, startTime } from './proc-stats.js';

/** How to start one program of a topology. */
export interface ProcessSpec {
  /** Label in reports, e.g. `proxy`, `app-a`, `nginx`. */
  role: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const OUTPUT_KEEP = 64 * 1024;
const live = new Set<ManagedProcess>();

function killAllOnExit(): void {
  for (const p of live) p.killTree('SIGKILL');
}
process.once('exit', killAllOnExit);

/**
 * A child process the runner owns: output captured (the tail kept for
 * diagnostics), readiness by connect or by a line, and a stop that takes the
 * whole process tree down so no worker outlives a run.
 */
export class ManagedProcess {
  readonly role: string;
  readonly child: ChildProcess;
  private output = '';
  private lineWaiters: Array<{ re: RegExp; resolve: (m: RegExpExecArray) => void }> = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(spec: ProcessSpec) {
    this.role = spec.role;
    this.child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this);
    const onData = (chunk: Buffer): void => {
      this.output += chunk.toString('utf8');
      if (this.output.length > OUTPUT_KEEP * 2) this.output = this.output.slice(-OUTPUT_KEEP);
      this.checkLines();
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolveExit) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolveExit(this.exitInfo);
      });
      this.child.once('error', (err) => {
        this.output += `\nspawn error: ${err.message}\n`;
        this.exitInfo = { code: -1, signal: null };
        live.delete(this);
        resolveExit(this.exitInfo);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** The captured stdout+stderr (tail). */
  get log(): string {
    return this.output;
  }

  private checkLines(): void {
    this.lineWaiters = this.lineWaiters.filter((w) => {
      const m = w.re.exec(this.output);
      if (m) w.resolve(m);
      return !m;
    });
  }

  /** Resolves with the first match of `re` in the output (already seen or future). */
  async waitForOutput(re: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
    const seen = re.exec(this.output);
    if (seen) return seen;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        new Promise<RegExpExecArray>((resolveLine) => this.lineWaiters.push({ re, resolve: resolveLine })),
        this.exited.then((info) => {
          throw new NotReadyError(`${this.role} exited (${info.code ?? info.signal}) before printing ${re}: ${this.tail()}`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new NotReadyError(`${this.role}: no ${re} within ${timeoutMs} ms: ${this.tail()}`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /** Resolves once `host:port` accepts a TCP connection; fails if the process exits first. */
  async waitForPort(port: number, host = '127.0.0.1', timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let wait = 20;
    while (Date.now() < deadline) {
      if (this.hasExited) {
        throw new NotReadyError(`${this.role} exited (${this.exitInfo?.code ?? this.exitInfo?.signal}) before ${host}:${port} accepted: ${this.tail()}`);
      }
      if (await canConnect(port, host)) return;
      await delay(wait);
      wait = Math.min(wait * 2, 250);
    }
    throw new NotReadyError(`${this.role}: ${host}:${port} not accepting after ${timeoutMs} ms: ${this.tail()}`);
  }

  /** The last lines of output, for error messages. */
  tail(chars = 1500): string {
    return this.output.slice(-chars).trim();
  }

  /** Sends a signal to the root process only (as an operator would). */
  signal(sig: NodeJS.Signals): void {
    if (!this.hasExited) {
      try {
        process.kill(this.pid, sig);
      } catch {
        // Already gone between the check and the kill.
      }
    }
  }

  /** Signals the root and every descendant, children first listed last. */
  killTree(sig: NodeJS.Signals): void {
    const pids = this.hasExited ? [] : processTree(this.pid);
    for (const pid of pids.reverse()) {
      try {
        process.kill(pid, sig);
      } catch {
        // Exited meanwhile.
      }
    }
  }

  /**
   * Graceful stop: `sig` to the root, then SIGKILL to whatever of the tree is
   * left after `graceMs`. Descendants are collected first so orphans are killed too.
   */
  async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
    const tree = (this.hasExited ? [] : processTree(this.pid)).map((pid) => ({ pid, start: startTime(pid) }));
    this.signal(sig);
    const done = await Promise.race([this.exited.then(() => true), delay(graceMs).then(() => false)]);
    if (!done) this.signal('SIGKILL');
    await this.exited;
    // Workers orphaned by a master that died abruptly; the start time guards against pid reuse.
    for (const { pid, start } of tree) {
      if (startTime(pid) !== start) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
  }
}

/** True when a TCP connect to host:port succeeds within a second. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const sock = connect({ port, host });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolveConnect(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
