import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { messageOf } from '@tsgi/errors';
import type { RuleId } from '../rules.js';
import { CheckContext, CheckFailure, type Check } from './context.js';
import { environChecks } from './checks-environ.js';
import { responseChecks } from './checks-response.js';
import { protocolChecks } from './checks-protocol.js';
import { CONFORMANCE_DIR_ENV } from './side-channel.js';

/** Every check of the kit, in the order they run. */
export const CHECKS: readonly Check[] = Object.freeze([...environChecks, ...responseChecks, ...protocolChecks]);

/** Absolute path of the conformance app module (`.ts` from sources, `.js` once built), which `{app}` stands for. */
export const CONFORMANCE_APP_PATH = fileURLToPath(new URL(`./app${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

export interface ConformanceOptions {
  /**
   * The command that starts the server under test. `{app}` is replaced by the
   * app module's absolute path, `{port}` by a free port, `{host}` by
   * 127.0.0.1. A string runs through `/bin/sh -c`; an array runs as argv.
   */
  command: string | readonly string[];
  cwd?: string;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  /** How long the server may take to accept connections (default 30 s). */
  startTimeoutMs?: number;
  /** Per-check time limit (default 10 s). */
  timeoutMs?: number;
  /** Run only checks whose rule id or name contains one of these strings. */
  only?: readonly string[];
  /** Receives each output line; default: stdout. */
  print?: (line: string) => void;
}

export interface CheckResult {
  rule: RuleId;
  name: string;
  ok: boolean;
  /** What was seen when the check failed. */
  detail?: string;
}

export interface ConformanceReport {
  passed: number;
  failed: number;
  results: CheckResult[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

type Placeholders = Record<'app' | 'port' | 'host', string>;

function substitute(text: string, values: Placeholders, quote: boolean): string {
  return text.replace(/\{(app|port|host)\}/g, (_, key: keyof Placeholders) => (quote ? shellQuote(values[key]) : values[key]));
}

/** What to spawn: a string command runs through /bin/sh (placeholders shell-quoted), an array as program and arguments. */
function commandLine(command: string | readonly string[], values: Placeholders): [string, string[]] {
  if (typeof command === 'string') return ['/bin/sh', ['-c', substitute(command, values, true)]];
  const [program, ...args] = command;
  if (program === undefined) throw new TypeError('runConformance: the start command is empty');
  return [program, args.map((a) => substitute(a, values, false))];
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls for a successful connect: readiness is the server accepting, not a sleep. */
async function waitUntilAccepting(child: ChildProcess, port: number, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) before accepting connections:\n${output()}`);
    }
    if (Date.now() > deadline) throw new Error(`the server did not accept connections on port ${port} within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stops the server's whole process group (it may have forked workers): TERM, then KILL after a grace period. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      child.kill(sig);
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  // Workers of a pre-fork server may outlive their master for a moment.
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

/**
 * Starts the server command with the conformance app on a free port, waits
 * until it accepts connections, runs every check over real sockets, prints
 * one `ok`/`FAIL` line per check and a summary, and stops the server.
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const print = options.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const port = await freePort();
  const [program, args] = commandLine(options.command, { app: CONFORMANCE_APP_PATH, port: String(port), host: '127.0.0.1' });
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-conformance-'));
  const env = { ...process.env, ...options.env, [CONFORMANCE_DIR_ENV]: dir };
  const child = spawn(program, args, { cwd: options.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (data: Buffer) => {
    output = (output + data.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const results: CheckResult[] = [];
  try {
    await waitUntilAccepting(child, port, options.startTimeoutMs ?? 30_000, () => output);
    const ctx = new CheckContext(port, dir, options.timeoutMs ?? 10_000);
    const only = options.only ?? [];
    for (const check of CHECKS) {
      if (only.length > 0 && !only.some((s) => check.rule === s || check.name.includes(s))) continue;
      let result: CheckResult;
      try {
        await check.run(ctx);
        result = { rule: check.rule, name: check.name, ok: true };
      } catch (error) {
        const detail = error instanceof CheckFailure ? error.message : `error: ${messageOf(error)}`;
        result = { rule: check.rule, name: check.name, ok: false, detail };
      }
      results.push(result);
      print(`${result.ok ? 'ok  ' : 'FAIL'} ${result.rule} ${result.name}${result.detail ? ` — ${result.detail}` : ''}`);
    }
  } finally {
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  print(`${passed} passed, ${failed} failed`);
  return { passed, failed, results };
}
