import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from '../managed-process.js';
import { freePort } from '../ports.js';
import { repoPath, tsxArgs } from '../repo.js';
import type { Component } from './topology.js';

export const APPSERVER_CLI = repoPath('appserver/src/cli.ts');
export const PROXY_CLI = repoPath('proxy/src/cli.ts');
export const SAMPLE_APP = repoPath('sample-app/src/app.ts');

/** Why the appserver cannot be started from this checkout, or undefined. */
export function appserverMissing(): string | undefined {
  return existsSync(APPSERVER_CLI) ? undefined : 'tsgi-appserver CLI not present (appserver/src/cli.ts)';
}

/** Why the proxy cannot be started from this checkout, or undefined. */
export function proxyMissing(): string | undefined {
  return existsSync(PROXY_CLI) ? undefined : 'tsgi-proxy CLI not present (proxy/src/cli.ts)';
}

/** Why the sample app cannot be loaded, or undefined. */
export function sampleAppMissing(): string | undefined {
  return existsSync(SAMPLE_APP) ? undefined : 'sample app not present (sample-app/src/app.ts)';
}

export interface AppserverOptions {
  workers: number;
  /** `module:export` the appserver loads; default the sample app. */
  app?: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

/** `tsgi-appserver` from sources, bound to a free loopback port, metrics on another. */
export async function startAppserver(role: string, opts: AppserverOptions): Promise<Component> {
  const port = await freePort();
  const metrics = await freePort();
  const proc = new ManagedProcess({
    role,
    command: process.execPath,
    args: tsxArgs(APPSERVER_CLI, [
      '--bind', `127.0.0.1:${port}`,
      '--workers', String(opts.workers),
      '--metrics-bind', `127.0.0.1:${metrics}`,
      '--log-level', 'warning',
      ...(opts.extraArgs ?? []),
      opts.app ?? `${SAMPLE_APP}:app`,
    ]),
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
 * upstream group (schema: proxy/src/config.ts). Access logs off so the
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

/** `tsgi-proxy --config` from sources in front of the given upstream ports. */
export async function startTsProxy(role: string, opts: ProxyOptions): Promise<Component> {
  const dir = await mkdtemp(join(tmpdir(), 'tsgi-lt-proxy-'));
  const port = await freePort();
  const admin = await freePort();
  const file = join(dir, 'proxy.yaml');
  await writeFile(file, proxyConfig(port, admin, opts));
  const proc = new ManagedProcess({
    role,
    command: process.execPath,
    args: tsxArgs(PROXY_CLI, ['--config', file]),
  });
  await proc.waitForPort(port, '127.0.0.1', 30_000);
  return { role, proc, port, ports: { admin }, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
