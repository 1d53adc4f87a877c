import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasPromtool } from '@tsgi/test-support';
import { adminJson, basicConfig, get, startProxy, startUpstream, until, assertPromtool, sampleTotal, type WorkerView } from './helpers.ts';

/** Every counter and histogram sample of a scrape (`name{labels}` → value); gauges left out. */
function monotonicSamples(text: string): Map<string, number> {
  const kinds = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) kinds.set(m[1]!, m[2]!);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(m, `unparsable sample line: ${line}`);
    const name = m[1]!;
    const family = kinds.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    const kind = kinds.get(family);
    if (kind !== 'counter' && kind !== 'histogram') continue;
    out.set(`${name}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

test('tsgi-proxy --workers 2: every counter keeps growing across kill -9 of a worker and a HUP; the request total equals the requests sent; promtool accepts every scrape', { timeout: 120_000 }, async (t) => {
  const promtoolHere = hasPromtool();
  const up = await startUpstream();
  const proxy = await startProxy(basicConfig([up.port]), ['--workers', '2']);
  t.after(async () => {
    await proxy.kill();
    await up.kill();
  });
  let sent = 0;
  const send = async (n: number): Promise<void> => {
    // A fresh connection each: the kernel spreads them over both workers.
    for (let i = 0; i < n; i++, sent++) assert.equal((await get(proxy.port, `/echo?i=${sent}`)).status, 200);
  };
  let previous = new Map<string, number>();
  /** Scrapes until the request total reaches `sent` (a request is counted once its response finished), then compares with the last scrape. */
  const scrape = async (when: string): Promise<string> => {
    let text = '';
    await until(async () => {
      text = (await get(proxy.admin!, '/metrics')).body;
      return sampleTotal('tsgi_proxy_requests_total', text) >= sent;
    }, 10_000, `${when}: tsgi_proxy_requests_total to reach ${sent}`);
    assert.equal(sampleTotal('tsgi_proxy_requests_total', text), sent, `${when}: request total`);
    const now = monotonicSamples(text);
    for (const [series, before] of previous) {
      const after = now.get(series);
      assert.ok(after !== undefined, `${when}: ${series} disappeared (was ${before})`);
      assert.ok(after >= before, `${when}: ${series} went back from ${before} to ${after}`);
    }
    previous = now;
    if (promtoolHere) assertPromtool(text);
    return text;
  };
  const workers = async (): Promise<WorkerView[]> => (await adminJson(proxy.admin!)).workers;
  const served = (w: WorkerView): number => (w.upstreams['app']?.endpoints ?? []).reduce((n, e) => n + e.requests, 0);

  await send(60);
  const first = await scrape('after 60 requests');
  assert.equal([...first.matchAll(/^process_start_time_seconds \S+$/gm)].length, 1, 'the master\'s start time, once, without pid');
  assert.equal([...first.matchAll(/^process_start_time_seconds\{pid="\d+"\} \S+$/gm)].length, 2, 'one start time per worker');

  // kill -9 the worker that served more: what it had reported must stay in the sums.
  const views = await workers();
  assert.equal(views.length, 2);
  const victim = views.reduce((a, b) => (served(b) > served(a) ? b : a));
  assert.ok(served(victim) > 0, 'the killed worker had served requests');
  const oldPids = new Set(views.map((w) => w.pid));
  process.kill(victim.pid, 'SIGKILL');
  await until(async () => {
    const now = await workers();
    return now.length === 2 && !now.some((w) => w.pid === victim.pid);
  }, 30_000, 'a replacement for the killed worker');
  const afterKill = await scrape('right after kill -9');
  assert.doesNotMatch(afterKill, new RegExp(`pid="${victim.pid}"`), 'the killed worker\'s gauges left with it');
  await send(40);
  await scrape('after kill -9 and 40 more');

  // Served after the last scrape and before the HUP: the draining workers' final reports carry them.
  await send(30);
  const beforeHup = new Set((await workers()).map((w) => w.pid));
  proxy.child.kill('SIGHUP');
  await until(async () => {
    const now = await workers();
    return now.length === 2 && now.every((w) => !beforeHup.has(w.pid) && !oldPids.has(w.pid));
  }, 30_000, 'a new generation after HUP');
  await until(async () => !(await get(proxy.admin!, '/metrics')).body.match(new RegExp([...beforeHup].map((p) => `pid="${p}"`).join('|'))), 10_000, 'the old generation gone from /metrics');
  await scrape('after HUP');
  await send(20);
  await scrape('after HUP and 20 more');
  assert.equal(sent, 150);
  if (!promtoolHere) t.diagnostic('promtool is not installed (Debian package prometheus): the format check did not run');
});
