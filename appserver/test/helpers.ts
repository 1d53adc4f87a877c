import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';

export const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface Running {
  proc: ChildProcess;
  pid: number;
  url: string;
  metricsUrl: string | undefined;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: string | null }>;
  stop(): Promise<void>;
}

/** Spawns tsgi-appserver from sources (tsx) and waits for its `Ready:` line. */
export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Soft and hard open-files limit for the process tree (`ulimit -n`, set by /bin/sh before it execs node). */
  nofile?: number;
}

export function runCli(args: string[], opts: CliOptions = {}): {
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: string | null }>;
  stdout: () => string;
  stderr: () => string;
} {
  const argv = ['--conditions=@tsgi/source', '--import', 'tsx', CLI, ...args];
  const [cmd, cmdArgs] =
    opts.nofile === undefined
      ? [process.execPath, argv]
      : ['/bin/sh', ['-c', `ulimit -n ${opts.nofile} && exec "$0" "$@"`, process.execPath, ...argv]];
  const proc = spawn(cmd, cmdArgs, {
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, exited, stdout: () => out, stderr: () => err };
}

export async function startAppserver(args: string[], opts: CliOptions = {}): Promise<Running> {
  const r = runCli(['-b', '127.0.0.1:0', '--metrics-bind', '127.0.0.1:0', ...args], opts);
  const deadline = Date.now() + 30_000;
  while (!/Ready: /.test(r.stdout())) {
    const early = await Promise.race([r.exited, new Promise((res) => setTimeout(res, 25, undefined))]);
    if (early) throw new Error(`appserver exited before ready: ${JSON.stringify(early)}\n${r.stderr()}`);
    if (Date.now() > deadline) {
      r.proc.kill('SIGKILL');
      throw new Error(`appserver not ready in 30 s\n${r.stdout()}\n${r.stderr()}`);
    }
  }
  const url = `${/Listening at: (http:\/\/[^ ]+)/.exec(r.stdout())![1]!}/`;
  const metrics = /Metrics at: (http:\/\/[^\s"]+)/.exec(r.stdout())?.[1];
  return {
    ...r,
    pid: r.proc.pid!,
    url,
    metricsUrl: metrics,
    async stop() {
      if (r.proc.exitCode === null && r.proc.signalCode === null) {
        r.proc.kill('SIGINT');
        const t = setTimeout(() => r.proc.kill('SIGKILL'), 5000);
        await r.exited;
        clearTimeout(t);
      }
    },
  };
}

export function tempDir(prefix = 'tsgi-appserver-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeApp(dir: string, name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
}

/** GET on a fresh connection (so round-robin can pick any worker). */
export async function getFresh(url: string): Promise<{ status: number; body: string }> {
  const res = await request(url, { reset: true, headersTimeout: 15_000, bodyTimeout: 15_000 });
  return { status: res.statusCode, body: await res.body.text() };
}

export async function get(url: string, dispatcher?: Agent): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const res = await request(url, { dispatcher, headersTimeout: 15_000, bodyTimeout: 15_000 });
  return { status: res.statusCode, body: await res.body.text(), headers: res.headers };
}

/** Reads one metric sample (sum over label sets matching `labels`) from a /metrics text. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labelText = m[3] ?? '';
    if (Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) {
      total += Number(m[4]);
      found = true;
    }
  }
  return found ? total : Number.NaN;
}

/** Polls until `check` returns true or throws after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A bounded load loop: `concurrency` clients each sending GETs until `stop()`
 * is called, `maxRequests` were sent or `maxMs` passed. Counts ok/failed.
 */
export function loadLoop(url: string, opts: { concurrency?: number; maxRequests?: number; maxMs?: number; dispatcher?: Agent } = {}) {
  const concurrency = opts.concurrency ?? 8;
  const maxRequests = opts.maxRequests ?? 20_000;
  const deadline = Date.now() + (opts.maxMs ?? 20_000);
  const stats = { sent: 0, ok: 0, failed: 0, errors: [] as string[], pids: new Set<string>() };
  let stopped = false;
  const dispatcher = opts.dispatcher ?? new Agent({ connections: concurrency });
  const client = async (): Promise<void> => {
    while (!stopped && stats.sent < maxRequests && Date.now() < deadline) {
      stats.sent++;
      try {
        const res = await request(url, { dispatcher, headersTimeout: 10_000, bodyTimeout: 10_000 });
        const body = await res.body.text();
        if (res.statusCode === 200) {
          stats.ok++;
          stats.pids.add(body.trim());
        } else {
          stats.failed++;
          stats.errors.push(`status ${res.statusCode}`);
        }
      } catch (err) {
        stats.failed++;
        stats.errors.push((err as Error).message);
      }
    }
  };
  const running = Promise.all(Array.from({ length: concurrency }, client));
  return {
    stats,
    async stop() {
      stopped = true;
      await running;
      if (!opts.dispatcher) await dispatcher.close();
      return stats;
    },
    done: running,
  };
}
