import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { workerChildren } from '../src/proc-stats.js';
import { PACKAGE_DIR } from '../src/repo.js';
import { appserverMissing, proxyMissing, startAppserver, startTsProxy } from '../src/topology/stack.js';
import type { Component } from '../src/topology/topology.js';

/** The counting app as the appserver loads it. */
export const COUNTING_APP = `${join(PACKAGE_DIR, 'faults/counting-app.ts')}:app`;

/** The counting app behind proxyFix and the redirects middleware (security tests). */
export const SECURITY_APP = `${join(PACKAGE_DIR, 'faults/security-app.ts')}:app`;

/** Limits both servers are started with, so the hostile corpus knows the thresholds. */
export const APP_LIMITS = { requestLine: 4094, headerBytes: 8190, fields: 100, body: 65536 };
export const PROXY_LIMITS = { requestLine: 8192, headerBytes: 16384, fields: 100, body: 65536 };
/** Idle keep-alive and header timeouts (seconds) of both tiers in the campaign. */
export const KEEPALIVE_S = 2;
export const HEADER_TIMEOUT_S = 2;
/** Both tiers' gap limit between request body bytes (nginx client_body_timeout; the proxy's timeouts.clientBody), seconds. */
export const BODY_TIMEOUT_S = 2;
/** The appserver's limit on a response write waiting for a client that does not read (nginx send_timeout), seconds. */
export const SEND_TIMEOUT_S = 3;

export interface FaultStackOptions {
  appservers: number;
  workers: number;
  proxy: boolean;
  proxyWorkers?: number;
  /** YAML inside the proxy's `app` upstream (4-space indent). */
  upstreamYaml?: string;
  /** Upstream ports for the proxy instead of the appservers (bad upstreams). */
  upstreamPorts?: number[];
  extraAppArgs?: string[];
  /** `module:export` instead of the counting app. */
  app?: string;
}

/** proxy -> appservers running the counting app, with the request log the tests read. */
export interface FaultStack {
  dir: string;
  logFile: string;
  apps: Component[];
  proxy?: Component;
  /** Lines the app logged (`pid METHOD path?query`). */
  seen(): string[];
  /** Lines that mention `fragment`. */
  seenWith(fragment: string): string[];
  stop(): Promise<void>;
}

/** Why the campaign cannot run against the full stack here, or undefined. */
export function stackMissing(needProxy: boolean): string | undefined {
  return appserverMissing() ?? (needProxy ? proxyMissing() : undefined);
}

export function appserverArgs(): string[] {
  return [
    '--limit-request-line', String(APP_LIMITS.requestLine),
    '--limit-request-fields', String(APP_LIMITS.fields),
    '--limit-request-field-size', String(APP_LIMITS.headerBytes),
    '--limit-request-body', String(APP_LIMITS.body),
    '--keep-alive', String(KEEPALIVE_S),
    '--header-timeout', String(HEADER_TIMEOUT_S),
    '--body-timeout', String(BODY_TIMEOUT_S),
    '--send-timeout', String(SEND_TIMEOUT_S),
    '--graceful-timeout', '10',
  ];
}

export function proxyExtraYaml(): string {
  return `limits:
  maxRequestLine: ${PROXY_LIMITS.requestLine}
  maxHeaderBytes: ${PROXY_LIMITS.headerBytes}
  maxHeaders: ${PROXY_LIMITS.fields}
  maxBodyBytes: ${PROXY_LIMITS.body}
timeouts:
  clientHeader: ${HEADER_TIMEOUT_S}s
  keepAlive: ${KEEPALIVE_S}s
  clientBody: ${BODY_TIMEOUT_S}s
  drain: 10s
`;
}

/** Starts the stack; on failure stops whatever did start. */
export async function startFaultStack(opts: FaultStackOptions): Promise<FaultStack> {
  const dir = await mkdtemp(join(tmpdir(), 'tsgi-faults-'));
  const logFile = join(dir, 'requests.log');
  await writeFile(logFile, '');
  const apps: Component[] = [];
  let proxy: Component | undefined;
  const stop = async (): Promise<void> => {
    if (proxy) await proxy.proc.stop('SIGTERM', 5000);
    for (const a of apps) await a.proc.stop('SIGTERM', 5000);
    await proxy?.cleanup?.();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < opts.appservers; i++) {
      apps.push(
        await startAppserver(`app-${String.fromCharCode(97 + i)}`, {
          workers: opts.workers,
          app: opts.app ?? COUNTING_APP,
          extraArgs: [...appserverArgs(), ...(opts.extraAppArgs ?? [])],
          env: { ...process.env, TSGI_FAULTS_LOG: logFile },
        }),
      );
    }
    for (const a of apps) await waitForWorkers(a, opts.workers);
    if (opts.proxy) {
      proxy = await startTsProxy('proxy', {
        workers: opts.proxyWorkers ?? 1,
        upstreams: opts.upstreamPorts ?? apps.map((a) => a.port),
        upstreamYaml: opts.upstreamYaml,
        extraYaml: proxyExtraYaml(),
        logLevel: 'info',
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const seen = (): string[] => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []);
  return { dir, logFile, apps, proxy, seen, seenWith: (f) => seen().filter((l) => l.includes(f)), stop };
}

/** The stack's `i`th appserver; throws when the stack started fewer. */
export function appAt(stack: FaultStack, i: number): Component {
  const app = stack.apps[i];
  if (app === undefined) throw new Error(`the stack has ${stack.apps.length} appserver(s), not ${i + 1}`);
  return app;
}

/** A master's worker pids (see workerChildren). */
export function workerPids(c: Component): number[] {
  return workerChildren(c.proc.pid);
}

/** Waits until a master has `n` workers; returns their pids. */
export async function waitForWorkers(c: Component, n: number, timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const kids = workerPids(c);
    if (kids.length >= n || Date.now() > deadline) return kids;
    await delay(50);
  }
}
