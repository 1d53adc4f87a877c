import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { BackOff } from '@tsgi/arbiter';
// The tiers' exit codes (gunicorn's, shared by both CLIs through the arbiter): how a tier's exit is read.
import { EXIT } from '@tsgi/appserver';
import { HOST, type TierSpec } from './tiers.js';

/** Boots that fail in a row (the tier exits before its port answers) before the stack gives up: gunicorn's halt, per tier. */
export const BOOT_FAILURES_TO_HALT = 3;
/** A tier up this long has recovered: the next crash restarts it after the shortest wait again. */
const STABLE_MS = 10_000;
/** A tier whose port does not answer within this long failed to boot. */
const BOOT_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

export interface TierHost {
  /** Starts one incarnation of the tier (the stack decides stdio, group, environment). */
  spawn(spec: TierSpec): ChildProcess;
  say(level: 'info' | 'warn' | 'error', msg: string): void;
  /** The tier cannot be kept up: stop the stack with this line and exit code. */
  halt(reason: string, exitCode: number): void;
  /** An incarnation exited (the stack checks whether it may exit now). */
  exited(): void;
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: HOST, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export const isAlive = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

/** Each tier leads its own process group (workers included): a hard stop takes the whole group. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return `killed by ${signal}`;
  if (code === EXIT.WORKER_BOOT_ERROR) return 'exit 3: a worker could not boot';
  if (code === EXIT.APP_LOAD_ERROR) return 'exit 4: the app failed to load';
  return `exit ${code}`;
}

/**
 * One tier under supervision, as Compose's `restart:` or PM2 do it: an
 * unexpected exit is one warning line and a restart after the arbiter's
 * doubling back-off; the other tiers keep serving meanwhile. A tier that exits
 * before its port answers failed to boot; after BOOT_FAILURES_TO_HALT in a row,
 * or a refused configuration (exit 2) once, restarting cannot help: the stack
 * halts with one line naming the tier.
 */
export class SupervisedTier {
  child: ChildProcess | undefined;
  private up = false;
  private stopped = false;
  private restarts = 0;
  private bootFailures = 0;
  private readonly backOff = new BackOff(100, 10_000);
  private restartTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
  private upWaiters: ((up: boolean) => void)[] = [];

  constructor(
    readonly spec: TierSpec,
    private readonly host: TierHost,
  ) {}

  /** Whether a process of this tier runs or a restart is pending. */
  get busy(): boolean {
    return this.restartTimer !== undefined || (this.child !== undefined && isAlive(this.child));
  }

  start(): void {
    this.restartTimer = undefined;
    if (this.stopped) return;
    const child = this.host.spawn(this.spec);
    this.child = child;
    this.up = false;
    child.on('error', () => {});
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    void this.watchBoot(child);
  }

  /** Resolves true once the tier's port answers, false if the stack stops or halts first. */
  whenUp(): Promise<boolean> {
    if (this.up) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.upWaiters.push(resolve));
  }

  /** No more restarts; `signal` to the running incarnation. */
  stop(signal: NodeJS.Signals): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.stableTimer);
    this.restartTimer = undefined;
    this.settle(false);
    if (this.child !== undefined && isAlive(this.child)) {
      if (signal === 'SIGKILL') killGroup(this.child, signal);
      else this.child.kill(signal);
    }
  }

  private settle(up: boolean): void {
    for (const resolve of this.upWaiters) resolve(up);
    this.upWaiters = [];
  }

  private async watchBoot(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    while (isAlive(child) && !this.stopped && this.child === child) {
      if (await portOpen(this.spec.port)) {
        if (!isAlive(child) || this.child !== child) return;
        this.up = true;
        this.bootFailures = 0;
        this.stableTimer = setTimeout(() => this.backOff.succeeded(), STABLE_MS);
        this.stableTimer.unref();
        this.settle(true);
        return;
      }
      if (Date.now() > deadline) {
        this.host.say('error', `${this.spec.name} did not listen on ${this.spec.port} within ${BOOT_TIMEOUT_MS / 1000} s: SIGKILL`);
        killGroup(child, 'SIGKILL');
        return;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    clearTimeout(this.stableTimer);
    const wasUp = this.up;
    this.up = false;
    if (this.stopped) return this.host.exited();
    // Its workers outlive a master killed outright and would hold the port the next incarnation needs.
    killGroup(child, 'SIGKILL');
    const { name } = this.spec;
    if (code === EXIT.USAGE) {
      this.stopped = true;
      this.settle(false);
      this.host.halt(`${name} refused its configuration (exit 2, its own line above says why); stopping the stack`, EXIT.USAGE);
      return this.host.exited();
    }
    if (!wasUp) this.bootFailures += 1;
    if (this.bootFailures >= BOOT_FAILURES_TO_HALT) {
      this.stopped = true;
      this.settle(false);
      const exitCode = code === EXIT.WORKER_BOOT_ERROR || code === EXIT.APP_LOAD_ERROR ? code : EXIT.FAILURE;
      this.host.halt(`${name} failed to boot ${this.bootFailures} times in a row (last: ${exitText(code, signal)}); stopping the stack`, exitCode);
      return this.host.exited();
    }
    this.backOff.failed();
    this.restarts += 1;
    this.host.say('warn', `${name} exited unexpectedly (${exitText(code, signal)})${wasUp ? '' : ' before it listened'}; restarting it (restart ${this.restarts}), the other tiers keep serving`);
    this.scheduleRestart();
    this.host.exited();
  }

  private scheduleRestart(): void {
    const tick = (): void => {
      if (this.stopped) return;
      if (this.backOff.ready()) this.start();
      else this.restartTimer = setTimeout(tick, 25);
    };
    this.restartTimer = setTimeout(tick, 25);
  }
}
