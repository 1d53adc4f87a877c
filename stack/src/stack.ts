import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { humanLine, jsonLine, painterFor } from '@tsgi/arbiter';
import { messageOf } from '@tsgi/errors';
import type { StackOptions } from './options.js';
import { generatedProxyConfig, writeProxyConfig } from './proxy-config.js';
import { isAlive, killGroup, portOpen, SupervisedTier } from './supervisor.js';
import { HOST, stackTiers, type TierSpec } from './tiers.js';

/** After TERM, how long the tiers get to drain before SIGKILL (their own graceful timeouts are 30 s). */
const HARD_STOP_MS = 35_000;
/** The runner's own name on console lines. */
const OWN_NAME = 'start';

/**
 * Runs the stack until a signal, an orphaning or a halt; resolves with the
 * exit code (the process exits with it once the console has printed the
 * tiers' last lines).
 *
 * Stopping: TERM, INT or HUP at any moment (start-up included) drains every
 * tier with SIGTERM; a second signal stops them at once. If this process's
 * parent goes away (npm killed), it stops the same way; if this process is
 * killed outright, each tier sees its IPC channel close and drains itself,
 * and the console process (its own, so the tiers keep a reader) prints their
 * last lines.
 */
export function runStack(options: StackOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolveExit) => new StackRun(options, env, resolveExit).main());
}

class StackRun {
  private readonly paint = painterFor(process.stdout);
  private formatter: ChildProcess | null = null;
  private ownPipe: Socket | null = null;
  private readonly tempDir = mkdtempSync(join(tmpdir(), 'tsgi-stack-'));
  private tiers: SupervisedTier[] = [];
  private stopping = false;
  private exitCode = 0;
  private hardTimer: NodeJS.Timeout | undefined;
  private exiting = false;

  constructor(
    private readonly options: StackOptions,
    private readonly env: NodeJS.ProcessEnv,
    private readonly resolveExit: (code: number) => void,
  ) {}

  say(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    const json = this.options.logFormat === 'json';
    const line = json ? jsonLine(level, msg, fields) : humanLine(OWN_NAME, msg, this.paint);
    if (this.ownPipe !== null && !this.ownPipe.destroyed) this.ownPipe.write(json ? `${line}\n` : `${msg}\n`);
    else (level === 'info' ? process.stdout : process.stderr).write(`${line}\n`);
  }

  main(): void {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => this.stop(signal));
    // Orphaned (npm or the shell between us and the process manager was killed): stop as on TERM.
    const parentAtStart = process.ppid;
    setInterval(() => {
      if (process.ppid !== parentAtStart) this.stop('parent process gone');
    }, 500).unref();
    process.on('exit', () => {
      for (const t of this.tiers) if (t.child !== undefined && isAlive(t.child)) killGroup(t.child, 'SIGKILL');
      rmSync(this.tempDir, { recursive: true, force: true });
    });
    this.boot().catch((err: unknown) => this.stop(messageOf(err), 1));
  }

  private async boot(): Promise<void> {
    const { options } = this;
    const proxyConfig =
      options.proxyConfig ?? writeProxyConfig(this.tempDir, generatedProxyConfig(HOST, options.proxyPort, options.adminPort!, options.appPorts));
    const specs = stackTiers(options, proxyConfig);
    for (const spec of specs) {
      if (!existsSync(spec.bin)) return this.stop(`${spec.bin} is missing; build the package first ("npm run build")`, 1);
    }
    if (options.logFormat === 'pretty') this.startFormatter(specs);
    const host = {
      spawn: (spec: TierSpec) => this.spawnTier(spec),
      say: (level: 'info' | 'warn' | 'error', msg: string) => this.say(level, msg),
      halt: (reason: string, code: number) => this.stop(reason, code),
      exited: () => this.maybeExit(),
    };
    this.tiers = specs.map((spec) => new SupervisedTier(spec, host));
    for (const tier of this.tiers) {
      if (this.stopping) return;
      if (await portOpen(tier.spec.port)) return this.stop(`port ${tier.spec.port} is already in use (needed by ${tier.spec.name}); stop what holds it and retry`, 2);
      if (this.stopping) return;
      tier.start();
      if (!(await tier.whenUp())) return;
    }
    if (this.stopping) return;
    const urls = specs.flatMap((s) => s.urls);
    const pids = Object.fromEntries(this.tiers.map((t) => [t.spec.name, t.child?.pid]));
    if (options.logFormat === 'json') {
      this.say('info', 'TSGI local stack is up', { urls: Object.fromEntries(urls.map(([u, what]) => [what, u])), pids });
    } else {
      this.say('info', 'TSGI local stack is up:');
      for (const [u, what] of urls) this.say('info', `  ${u.padEnd(34)} ${what}`);
      this.say('info', 'Ctrl-C stops it.');
    }
  }

  private tierIndex(spec: TierSpec): number {
    return this.tiers.findIndex((t) => t.spec === spec);
  }

  private spawnTier(spec: TierSpec): ChildProcess {
    // The formatter's end for this tier stays open here across restarts; each incarnation writes into its own copy.
    const out = this.formatter === null ? 'inherit' : (this.formatter.stdio[4 + this.tierIndex(spec)] as Socket);
    // Own process group: a terminal's Ctrl-C reaches only this process, which drains each tier with SIGTERM
    // (SIGINT to a master means stop fast). The IPC channel tells a tier when this process dies.
    // The tiers always write JSON here: this process (or its console) is their terminal.
    return spawn(process.execPath, [spec.bin, ...spec.args], {
      env: { ...this.env, LOG_FORMAT: 'json' },
      stdio: ['ignore', out, out, 'ipc'],
      detached: true,
    });
  }

  private startFormatter(specs: readonly TierSpec[]): void {
    const names = [OWN_NAME, ...specs.map((s) => s.name)];
    // Under tsx (tests from sources) this module is .ts and so is its sibling; execArgv carries the loader.
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const file = fileURLToPath(new URL(`./console-process${ext}`, import.meta.url));
    this.formatter = spawn(process.execPath, [...process.execArgv, file, ...names], {
      stdio: ['ignore', 'inherit', 'inherit', ...names.map(() => 'pipe' as const)],
    });
    this.ownPipe = this.formatter.stdio[3] as Socket;
    this.ownPipe.on('error', () => {});
  }

  stop(reason: string, code?: number): void {
    if (code !== undefined && this.exitCode === 0) this.exitCode = code;
    if (code) this.say('error', reason);
    if (this.stopping) {
      // A second signal: stop now instead of draining.
      for (const t of this.tiers) t.stop('SIGKILL');
      return;
    }
    this.stopping = true;
    const running = this.tiers.filter((t) => t.child !== undefined && isAlive(t.child));
    const list = running.map((t) => `${t.spec.name} ${t.child!.pid}`).join(', ');
    // A failure was just said in its own line; a signal or an orphaning is said here.
    this.say('info', `stopping${code ? '' : ` (${reason})`}: SIGTERM to ${running.length} tier(s)${running.length ? `: ${list}` : ''}`);
    for (const t of this.tiers) t.stop('SIGTERM');
    this.hardTimer = setTimeout(() => {
      for (const t of this.tiers) {
        if (t.child === undefined || !isAlive(t.child)) continue;
        this.say('warn', `${t.spec.name} did not stop within ${HARD_STOP_MS / 1000} s: SIGKILL`);
        t.stop('SIGKILL');
      }
    }, HARD_STOP_MS);
    this.hardTimer.unref();
    this.maybeExit();
  }

  private maybeExit(): void {
    if (!this.stopping || this.exiting) return;
    if (this.tiers.some((t) => t.busy)) return;
    this.exiting = true;
    clearTimeout(this.hardTimer);
    rmSync(this.tempDir, { recursive: true, force: true });
    const code = this.exitCode;
    const formatter = this.formatter;
    if (formatter === null) return this.resolveExit(code);
    // Let the console print the tiers' last lines before the shell prompt comes back.
    for (const pipe of formatter.stdio.slice(3)) (pipe as Socket | null)?.end();
    const bail = setTimeout(() => this.resolveExit(code), 2_000);
    formatter.once('exit', () => {
      clearTimeout(bail);
      this.resolveExit(code);
    });
  }
}
