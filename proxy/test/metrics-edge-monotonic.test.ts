import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { hasPromtool } from '@tsgi/test-support';
import { adminJson, get, raw, startProxy, startUpstream, until, assertPromtool, sampleTotal } from './helpers.ts';

/** Longer than two of the workers' 1 s metrics pushes (METRICS_REPORT_MS in @tsgi/arbiter). */
const PUSHED_MS = 2500;

test('tsgi-proxy --workers 2: edge counters (rate-limit rejections, PROXY protocol errors) ride the 1 s push, so kill -9 of every worker and a HUP lose none', { timeout: 120_000 }, async (t) => {
  const promtoolHere = hasPromtool();
  const up = await startUpstream();
  t.after(() => up.kill());
  const proxy = await startProxy(`listeners:
  - { address: "127.0.0.1:0" }
  - { address: "127.0.0.1:0", proxyProtocol: true }
admin: { address: "127.0.0.1:0" }
accessLog: false
upstreams:
  app: { servers: ["127.0.0.1:${up.port}"] }
limitReq: { tight: { rate: 1r/m, burst: 0, nodelay: true } }
routes:
  - { path: /limited, upstream: app, limitReq: [tight] }
  - { upstream: app }
`, ['--workers', '2']);
  t.after(() => proxy.kill());
  const [plainPort, ppPort] = proxy.ports as [number, number];
  const pids = async (): Promise<number[]> => (await adminJson(proxy.admin!)).workers.map((w) => w.pid);
  const killEveryWorker = async (when: string): Promise<void> => {
    const victims = await pids();
    assert.equal(victims.length, 2, `${when}: two workers`);
    for (const pid of victims) process.kill(pid, 'SIGKILL');
    await until(async () => {
      const now = await pids();
      return now.length === 2 && !now.some((p) => victims.includes(p));
    }, 30_000, `${when}: replacements for both killed workers`);
  };
  const scrape = async (): Promise<string> => {
    const text = (await get(proxy.admin!, '/metrics')).body;
    if (promtoolHere) assertPromtool(text);
    return text;
  };

  // 1 r/m with no burst: each worker's zone admits one request, refuses the rest 429.
  let refused = 0;
  for (let i = 0; i < 12; i++) if ((await get(plainPort, '/limited')).status === 429) refused++;
  assert.ok(refused >= 6, `the 1r/m zone refused only ${refused} of 12`);
  // Connections without a PROXY header are closed before any request is read: only the edge counter moves.
  const ppErrors = 6;
  for (let i = 0; i < ppErrors; i++) await raw(ppPort, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');

  // No scrape in between (a scrape's collect would record the live counts): only the workers' own pushes carry them.
  await sleep(PUSHED_MS);
  await killEveryWorker('after the edge traffic');
  const afterKill = await scrape();
  assert.equal(sampleTotal('tsgi_proxy_rate_limited_total', afterKill), refused, 'rate-limit rejections after kill -9 of both workers');
  assert.equal(sampleTotal('tsgi_proxy_proxy_protocol_errors_total', afterKill), ppErrors, 'PROXY protocol errors after kill -9 of both workers');

  // The replacements' own edge counts: pushed, then a HUP drains them (final report) and a kill -9 hits the new generation.
  for (let i = 0; i < ppErrors; i++) await raw(ppPort, 'junk\r\n\r\n');
  const beforeHup = await pids();
  proxy.child.kill('SIGHUP');
  await until(async () => {
    const now = await pids();
    return now.length === 2 && !now.some((p) => beforeHup.includes(p));
  }, 30_000, 'a new generation after HUP');
  for (let i = 0; i < ppErrors; i++) await raw(ppPort, 'junk\r\n\r\n');
  await sleep(PUSHED_MS);
  await killEveryWorker('after HUP');
  const afterHup = await scrape();
  assert.equal(sampleTotal('tsgi_proxy_rate_limited_total', afterHup), refused, 'rate-limit rejections after HUP and kill -9');
  assert.equal(sampleTotal('tsgi_proxy_proxy_protocol_errors_total', afterHup), 3 * ppErrors, 'PROXY protocol errors after HUP and kill -9');
  if (!promtoolHere) t.diagnostic('promtool is not installed (Debian package prometheus): the format check did not run');
});
