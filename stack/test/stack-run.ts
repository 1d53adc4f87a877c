// Runs tsgi-stack as a user runs it (its bin, from the user's own folder outside this repository) on free ports,
// and finds every process of a run, orphans included: each carries a marker in its environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts as freePortList, pidsWithEnv } from '@tsgi/test-support';

export const BIN = fileURLToPath(new URL('../bin/tsgi-stack.js', import.meta.url));

/** A folder outside the repository holding `app.mjs` with `source`. */
export function userApp(source: string): { dir: string; spec: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-stack-user-'));
  writeFileSync(join(dir, 'app.mjs'), source);
  return { dir, spec: 'app.mjs:app' };
}

export interface StackRun {
  child: ChildProcess;
  marker: string;
  ports: { proxy: number; admin: number; apps: number[]; metrics: number[] };
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export type StackPorts = StackRun['ports'];

/** The six ports a stack run takes (proxy, admin, two apps, their metrics), free right now. */
export async function freePorts(): Promise<StackPorts> {
  const p = await freePortList(6);
  return { proxy: p[0]!, admin: p[1]!, apps: [p[2]!, p[3]!], metrics: [p[4]!, p[5]!] };
}

/** The port flags for `ports`; with `proxyFlags: false` the proxy's ports are left to the caller's --proxy-config. */
export function portArgs(ports: StackPorts, proxyFlags = true): string[] {
  return [
    ...(proxyFlags ? ['--proxy-port', String(ports.proxy), '--admin-port', String(ports.admin)] : []),
    '--app-ports',
    ports.apps.join(','),
    '--metrics-ports',
    ports.metrics.join(','),
  ];
}

/** This process's environment without the stack's own variables, plus the run's marker and `extra`. */
export function markedEnv(marker: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.LOG_FORMAT;
  delete env.TSGI_START_APP;
  return Object.assign(env, { TSGI_STACK_TEST_MARKER: marker }, extra);
}

/** Starts tsgi-stack on free ports (or `ports`), stdout and stderr on pipes. */
export async function startStack(
  cwd: string,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
  { proxyFlags = true, ports: chosen }: { proxyFlags?: boolean; ports?: StackPorts } = {},
): Promise<StackRun> {
  const ports = chosen ?? (await freePorts());
  const marker = randomUUID();
  const child = spawn(process.execPath, [BIN, ...portArgs(ports, proxyFlags), ...args], { cwd, env: markedEnv(marker, extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, marker, ports, stdout: () => out, stderr: () => err, exited };
}

/** The runner's JSON records (it prints JSON when stdout is not a terminal). */
export function records(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

export const upRecord = (run: StackRun): { pids: Record<string, number> } | undefined =>
  records(run.stdout()).find((r) => r.tier === 'start' && r.msg === 'TSGI local stack is up') as { pids: Record<string, number> } | undefined;

/** Pids of live processes of one run (its marker in their environment; zombies excluded). */
export function markedPids(marker: string): number[] {
  return pidsWithEnv('TSGI_STACK_TEST_MARKER', marker);
}

export async function waitUntil<T>(what: string, ms: number, check: () => T | Promise<T>): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `promise`, or null after `ms` (the timer does not keep the test process alive). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  return Promise.race([promise, new Promise<null>((r) => setTimeout(() => r(null), ms).unref())]);
}

export function killAll(marker: string): void {
  for (const pid of markedPids(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
