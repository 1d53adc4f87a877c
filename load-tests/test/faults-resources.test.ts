// Resource safety: a soak through proxy -> appservers with RSS sampled every
// second (fail on steady growth) and file descriptors counted before and
// after. 20 s in CI; `npm run test:faults -- --long` soaks for 10 minutes.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { startLoop } from '../faults/load-loop.ts';
import { steadyGrowth } from '../faults/growth.ts';
import { KEEPALIVE_S, stackMissing, startFaultStack, type FaultStack } from '../faults/stack.ts';
import { FaultLog } from '../faults/summary.ts';
import { fdCount, sampleTree } from '../src/proc-stats.ts';
import type { Component } from '../src/topology/topology.ts';

const log = new FaultLog('resources');
const skip = stackMissing(true) ?? false;
const LONG = process.env.TSGI_FAULTS_LONG === '1';
const SOAK_MS = LONG ? 600_000 : 20_000;

function fds(c: Component): number {
  return sampleTree(c.proc.pid).reduce((a, p) => a + Math.max(0, fdCount(p.pid)), 0);
}

function rssMiB(c: Component): number {
  return sampleTree(c.proc.pid).reduce((a, p) => a + p.rssBytes, 0) / 1048576;
}

describe('resource safety', { skip }, () => {
  let stack: FaultStack | undefined;
  after(async () => {
    await stack?.stop();
    await log.flush();
  });

  test(`soak ${SOAK_MS / 1000} s through proxy -> 2 appservers: no steady RSS growth, no fd leak`, { timeout: SOAK_MS + 120_000 }, async () => {
    stack = await startFaultStack({ appservers: 2, workers: 1, proxy: true });
    const procs: Component[] = [stack.proxy as Component, ...stack.apps];
    const fdsBefore = procs.map(fds);
    const paths = ['/', '/api/json', '/hello/soak', '/__faults/bytes?n=65536', '/post/7', '/missing-route'];
    const loops = paths.map((path) => startLoop({ port: stack!.proxy!.port, path, concurrency: 2, maxRequests: 10_000_000, maxMs: SOAK_MS }));
    const samples: number[][] = procs.map(() => []);
    const end = Date.now() + SOAK_MS;
    while (Date.now() < end) {
      procs.forEach((c, i) => samples[i]?.push(rssMiB(c)));
      await delay(1000);
    }
    const counts = await Promise.all(loops.map((l) => l.done));
    const sent = counts.reduce((a, c) => a + c.sent, 0);
    const failed = counts.reduce((a, c) => a + c.failed, 0);
    const retried = counts.reduce((a, c) => a + c.retried, 0);
    // Idle keep-alive connections close after the timeout; then the fd counts must be back.
    await delay((KEEPALIVE_S + 1) * 1000);
    let fdsAfter = procs.map(fds);
    const deadline = Date.now() + 10_000;
    while (fdsAfter.some((n, i) => n > (fdsBefore[i] ?? 0) + 10) && Date.now() < deadline) {
      await delay(200);
      fdsAfter = procs.map(fds);
    }
    const growth = samples.map(steadyGrowth);
    const leaks = fdsAfter.map((n, i) => n - (fdsBefore[i] ?? 0));
    const pass = failed === 0 && growth.every((g) => !g.grew) && leaks.every((d) => d <= 10);
    const desc = procs
      .map((c, i) => `${c.role} RSS ${growth[i]?.mid.toFixed(0)}->${growth[i]?.last.toFixed(0)} MiB fds ${fdsBefore[i]}->${fdsAfter[i]}`)
      .join('; ');
    log.add({ area: 'resources', case: `soak ${SOAK_MS / 1000} s, ${paths.length} routes`, expected: 'failed 0; no steady RSS growth; fds back (+10)',
      seen: desc, pass, sent, failed, retried });
    assert.equal(failed, 0, `failed requests in the soak: ${JSON.stringify(counts.map((c) => c.errors))}`);
    growth.forEach((g, i) => assert.ok(!g.grew, `${procs[i]?.role} RSS grew steadily: ${g.mid.toFixed(1)} -> ${g.last.toFixed(1)} MiB`));
    leaks.forEach((d, i) => assert.ok(d <= 10, `${procs[i]?.role} fd leak: ${fdsBefore[i]} -> ${fdsAfter[i]}`));
  });
});
