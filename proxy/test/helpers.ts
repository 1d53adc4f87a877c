import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkMetrics, rawExchange } from '@tsgi/test-support';
import { validateConfig } from '../src/config/config.ts';
import { ConfigError } from '../src/errors.ts';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const TSX = ['--conditions=@tsgi/source', '--import', 'tsx'];

export interface Proc {
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns a child and resolves once `ready(output)` returns a value (a line on stdout, never a sleep). */
export function spawnReady<T>(args: string[], ready: (out: string) => T | undefined, timeoutMs = 20_000, env: NodeJS.ProcessEnv = {}): Promise<Proc & { value: T }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let done = false;
    const exited = new Promise<number | null>((r) => child.once('exit', (code, sig) => r(code ?? (sig ? 128 : null))));
    const proc: Proc = {
      child,
      output: () => out,
      async kill(signal = 'SIGKILL') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      reject(new Error(`child not ready in ${timeoutMs} ms: ${out.slice(-2000)}`));
    }, timeoutMs);
    const check = (): void => {
      if (done) return;
      const v = ready(out);
      if (v !== undefined) {
        done = true;
        clearTimeout(timer);
        resolve({ ...proc, value: v });
      }
    };
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      check();
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('exit', (code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`child exited ${code} before ready: ${out.slice(-2000)}`));
    });
  });
}

/** A fixture upstream (test/fixtures/upstream.mjs) on `port` (0: any). */
export async function startUpstream(port = 0, host = '127.0.0.1'): Promise<Proc & { port: number }> {
  const p = await spawnReady([join(root, 'proxy/test/fixtures/upstream.mjs'), String(port), host], (out) => {
    const m = /READY (\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  });
  return { ...p, port: p.value };
}

export interface ProxyProc extends Proc {
  port: number;
  /** Every listener's port, in config order. */
  ports: number[];
  admin: number | null;
  configPath: string;
  dir: string;
}

/** Writes `yaml` to a temp dir and starts tsgi-proxy from sources; ready = its "listening" line. */
export async function startProxy(yaml: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ProxyProc> {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-test-'));
  const configPath = join(dir, 'proxy.yaml');
  writeFileSync(configPath, yaml);
  const p = await spawnReady([...TSX, join(root, 'proxy/src/process/cli.ts'), '--config', configPath, ...extraArgs], (out) => {
    for (const line of out.split('\n')) {
      if (!line.includes('tsgi-proxy listening')) continue;
      const rec = JSON.parse(line) as { listeners: string[]; admin: string | null };
      const ports = rec.listeners.map((l) => Number(l.split(':').pop()));
      const [port] = ports;
      if (port === undefined) throw new Error(`tsgi-proxy reported no listener: ${line}`);
      return { port, ports, admin: rec.admin === null ? null : Number(rec.admin.split(':').pop()) };
    }
    return undefined;
  }, undefined, env);
  const kill = p.kill;
  return {
    ...p,
    port: p.value.port,
    ports: p.value.ports,
    admin: p.value.admin,
    configPath,
    dir,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      const code = await kill(signal);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Runs the CLI to completion (for config errors and --check-config). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...TSX, join(root, 'proxy/src/process/cli.ts'), ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with node:http on a fresh connection (to `host`, loopback by default). */
export function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string, host = '127.0.0.1'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path, method, headers, agent: false }, (res) => {
      let data = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends raw bytes and collects everything until the proxy closes (or `ms` passes); '' when the connection is refused. */
export async function raw(port: number, bytes: string | Buffer, ms = 5000): Promise<string> {
  try {
    return (await rawExchange(port, bytes, { timeoutMs: ms })).text;
  } catch {
    return '';
  }
}

export async function upstreamStats(port: number): Promise<{ requests: number; last: { headers: Record<string, string>; rawHeaders: string[]; url: string } | null }> {
  const r = await get(port, '/__stats');
  return JSON.parse(r.body);
}

/** One worker's part of the admin port's `/upstreams` view, as the tests read it. */
export interface WorkerView {
  pid: number;
  upstreams: Record<string, { endpoints: { address: string; state: string; requests: number; failures: number; ejections: number }[] }>;
}

/** The admin port's `/upstreams` view: one entry per worker, whatever `workers` says. */
export interface AdminView {
  workers: WorkerView[];
}

export async function adminJson(port: number, path = '/upstreams'): Promise<AdminView> {
  return JSON.parse((await get(port, path)).body);
}

/** The groups of a proxy that runs one worker (`workers: 1`); throws when the view has another count. */
export async function soleWorkerUpstreams(adminPort: number): Promise<WorkerView['upstreams']> {
  const { workers } = await adminJson(adminPort);
  if (workers.length !== 1 || workers[0] === undefined) throw new Error(`the admin view has ${workers.length} workers, not 1`);
  return workers[0].upstreams;
}

/** One endpoint of an upstream of a one-worker proxy as the admin API shows it; throws when the admin view lacks it. */
export async function endpointView(adminPort: number, upstream: string, address: string): Promise<WorkerView['upstreams'][string]['endpoints'][number]> {
  const ep = (await soleWorkerUpstreams(adminPort))[upstream]?.endpoints.find((e) => e.address === address);
  if (ep === undefined) throw new Error(`the admin view has no endpoint ${address} in upstream ${upstream}`);
  return ep;
}

/** Polls `check` until it returns true (bounded), for state that changes asynchronously. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function basicConfig(servers: number[], extra = '', upstreamExtra = ''): string {
  return `listeners: [{ address: "127.0.0.1:0" }]
admin: { address: "127.0.0.1:0" }
accessLog: false
upstreams:
  app:
    servers: [${servers.map((p) => `"127.0.0.1:${p}"`).join(', ')}]
${upstreamExtra
  .split('\n')
  .filter(Boolean)
  .map((l) => `    ${l}`)
  .join('\n')}
routes: [{ upstream: app }]
${extra}
`;
}

/** Why an end-to-end test with real appservers cannot run here, or null when it can. */
export function appserverMissing(): string | null {
  for (const f of ['appserver/src/cli.ts', 'sample-app/src/app.ts']) if (!existsSync(join(root, f))) return `${f} is not in this checkout`;
  return null;
}

/** A real tsgi-appserver running the sample app on `port` (0: any); ready = its "Listening at" line. */
export async function startAppserver(port = 0): Promise<Proc & { port: number }> {
  const p = await spawnReady(
    [...TSX, join(root, 'appserver/src/cli.ts'), '--bind', `127.0.0.1:${port}`, '--workers', '1', '--log-level', 'warning', 'sample-app/src/app.ts:app'],
    (out) => {
      const m = /Ready: \d+ worker/.test(out) ? /Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(out) : null;
      return m ? Number(m[1]) : undefined;
    },
    60_000,
  );
  return { ...p, port: p.value };
}

/**
 * One GET for a load loop: resolves with the status once the body was read, or 0 on a
 * connection error; never rejects, so a loop counts failures instead of stopping.
 */
export function getStatus(port: number, path: string, agent: Agent, onResponse?: (res: IncomingMessage) => void): Promise<number> {
  return new Promise<number>((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      onResponse?.(res);
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Sum of every sample of metric `name` over its labels in an exposition text. */
export function sampleTotal(name: string, text: string): number {
  let n = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) n += Number(m[1]);
  return n;
}

/** Fails unless `promtool check metrics` accepts the text. */
export function assertPromtool(text: string): void {
  const r = checkMetrics(text);
  assert.ok(r.ok, `promtool check metrics: ${r.output}`);
}

/** A minimal valid config for validateConfig tests; `raw` keys replace its top-level ones. */
export const MINIMAL_CONFIG = Object.freeze({ upstreams: { app: { servers: ['127.0.0.1:9'] } }, routes: [{ upstream: 'app' }] });

/** The one-line ConfigError message for `raw` over MINIMAL_CONFIG (source "proxy.yaml"), or "valid". */
export function configErrorOf(raw: Record<string, unknown>): string {
  try {
    validateConfig({ ...MINIMAL_CONFIG, ...raw }, 'proxy.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'PX_ERR_CONFIG');
    assert.doesNotMatch(err.message, /\n/, 'one line');
    return err.message;
  }
  return 'valid';
}

/** Writes `yaml` over the proxy's config, sends SIGHUP and waits until its output since then matches `logged`; returns that output. */
/** The master's line once a HUP's new generation of workers serves (the old ones then drain). */
export const RELOADED = /reloaded: generation \d+ serving/;
/** The master's line when a HUP is refused before any worker changes (a bad file, a name that does not resolve, a busy admin port). */
export const RELOAD_CANCELLED = /reload cancelled: /;

export async function hupUntil(proxy: ProxyProc, yaml: string, logged: RegExp, what: string): Promise<string> {
  const from = proxy.output().length;
  writeFileSync(proxy.configPath, yaml);
  proxy.child.kill('SIGHUP');
  await until(() => logged.test(proxy.output().slice(from)), 20_000, what);
  return proxy.output().slice(from);
}
