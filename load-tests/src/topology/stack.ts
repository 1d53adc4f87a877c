import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from '../managed-process.js';
import { freePort } from '@tsgi/test-support';
import { repoPath } from '../repo.js';
import type { Component } from './topology.js';

// The tiers run from their builds (`npm run build`), exactly as `tsgi-appserver` and `tsgi-proxy`
// are deployed: a TypeScript loader in the measured processes would be measured too.
export const APPSERVER_CLI = repoPath('appserver/dist/cli.js');
export const PROXY_CLI = repoPath('proxy/dist/process/cli.js');
export const SAMPLE_APP = repoPath('sample-app/dist/app.js');

function notBuilt(what: string, file: string): string | undefined {
  return existsSync(file) ? undefined : `${what} is not built (${file} missing): run \`npm run build\` first`;
}

/** Why the appserver cannot be started from this checkout, or undefined. */
export function appserverMissing(): string | undefined {
  return notBuilt('tsgi-appserver', APPSERVER_CLI);
}

/** Why the proxy cannot be started from this checkout, or undefined. */
export function proxyMissing(): string | undefined {
  return notBuilt('tsgi-proxy', PROXY_CLI);
}

/** Why the sample app cannot be loaded, or undefined. */
export function sampleAppMissing(): string | undefined {
  return notBuilt('the sample app', SAMPLE_APP);
}

export interface AppserverOptions {
  workers: number;
  /** `module:export` the appserver loads; default the sample app. */
  app?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * A TypeScript app (the fault campaign's) is loaded through tsx, as a user
 * developing in TypeScript would run it; the appserver itself still runs from
 * its build (no source condition, so `@tsgi/*` resolve to dist).
 */
function typeScriptLoader(appSpec: string): string[] {
  return /\.[cm]?ts(:[\w$]+)?$/.test(appSpec) ? ['--import', 'tsx'] : [];
}

/** `tsgi-appserver` from its build, bound to a free loopback port, metrics on another. */
export async function startAppserver(role: string, opts: AppserverOptions): Promise<Component> {
  const port = await freePort();
  const metrics = await freePort();
  const app = opts.app ?? `${SAMPLE_APP}:app`;
  const proc = new ManagedProcess({
    role,
    command: process.execPath,
    args: [
      ...typeScriptLoader(app),
      APPSERVER_CLI,
      '--bind', `127.0.0.1:${port}`,
      '--workers', String(opts.workers),
      '--metrics-bind', `127.0.0.1:${metrics}`,
      '--log-level', 'warning',
      ...(opts.extraArgs ?? []),
      app,
    ],
    env: opts.env,
  });
  // The master binds before its workers boot; "Ready: N worker(s)" means they serve.
  await proc.waitForOutput(/Ready: \d+ worker/, 30_000);
  await proc.waitForPort(port, '127.0.0.1', 30_000);
  return { role, proc, port, ports: { metrics } };
}

export interface ProxyOptions {
  workers: number;
  upstreams: number[];
  /** Extra YAML inside the `app` upstream (4-space indent: timeouts, retries, passive, active). */
  upstreamYaml?: string;
  /** Extra YAML at the top level (limits, timeouts, forwarded). */
  extraYaml?: string;
  accessLog?: boolean;
  logLevel?: string;
}

/**
 * The YAML the TS proxy is started with: one listener, one route, one
 * upstream group (schema: proxy/src/config/config.ts). Access logs off so the
 * terminal and the CPU numbers measure proxying, not logging.
 */
export function proxyConfig(port: number, admin: number, opts: ProxyOptions): string {
  return `listeners:
  - address: 127.0.0.1:${port}
admin:
  address: 127.0.0.1:${admin}
workers: ${opts.workers}
accessLog: ${opts.accessLog ?? false}
logLevel: ${opts.logLevel ?? 'warn'}
upstreams:
  app:
    servers:
${opts.upstreams.map((p) => `      - 127.0.0.1:${p}`).join('\n')}
${opts.upstreamYaml ?? ''}
routes:
  - path: /
    upstream: app
${opts.extraYaml ?? ''}`;
}

/** `tsgi-proxy --config` from its build in front of the given upstream ports. */
export async function startTsProxy(role: string, opts: ProxyOptions): Promise<Component> {
  const dir = await mkdtemp(join(tmpdir(), 'tsgi-lt-proxy-'));
  const port = await freePort();
  const admin = await freePort();
  const file = join(dir, 'proxy.yaml');
  await writeFile(file, proxyConfig(port, admin, opts));
  const proc = new ManagedProcess({
    role,
    command: process.execPath,
    args: [PROXY_CLI, '--config', file],
  });
  await proc.waitForPort(port, '127.0.0.1', 30_000);
  return { role, proc, port, ports: { admin }, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
