import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Agent, request } from 'undici';
import { FIXTURES, get, metricValue, startAppserver, until } from './helpers.js';

const PROMTOOL = '/usr/bin/promtool';

async function scrape(url: string): Promise<string> {
  return (await get(url)).body;
}

async function burst(url: string, n: number): Promise<void> {
  const agent = new Agent({ connections: 4 });
  try {
    for (let i = 0; i < n; i++) {
      const r = await request(url, { dispatcher: agent });
      await r.body.text();
    }
  } finally {
    await agent.close();
  }
}

const served = (text: string): number => metricValue(text, 'tsgi_http_requests_total', { method: 'GET', status: '200' });

test('tsgi_* counters never go down across HUP, TTOU and kill -9 of a worker (which loses at most its last second); gauges are per worker pid; process_start_time_seconds present', async (t) => {
  const s = await startAppserver(['-w', '2', '--graceful-timeout', '2', join(FIXTURES, 'pid-app.mjs') + ':app']);
  t.after(() => s.stop());
  const readings: number[] = [];
  const check = async (what: string, atLeast: number): Promise<string> => {
    const text = await scrape(s.metricsUrl!);
    const v = served(text);
    assert.ok(v >= atLeast, `${what}: tsgi_http_requests_total ${v} < ${atLeast} (readings ${readings.join(', ')})`);
    readings.push(v);
    return text;
  };
  await burst(s.url, 100);
  await check('after 100 requests', 100);

  process.kill(s.pid, 'SIGHUP');
  await until(async () => metricValue(await scrape(s.metricsUrl!), 'tsgi_worker_restarts_total', { reason: 'reload' }) >= 2, 20_000, 'both old workers retired');
  await check('after HUP', 100);
  await burst(s.url, 10);
  await check('after HUP + 10', 110);

  process.kill(s.pid, 'SIGTTOU');
  await until(async () => metricValue(await scrape(s.metricsUrl!), 'tsgi_workers', { state: 'ready' }) === 1, 20_000, 'one worker after TTOU');
  await until(async () => metricValue(await scrape(s.metricsUrl!), 'tsgi_worker_restarts_total', { reason: 'scale-down' }) >= 1, 20_000, 'the scaled-down worker gone');
  await check('after TTOU', 110);

  await burst(s.url, 10);
  const before = await check('before kill -9', 120);
  // Served after the last scrape: the worker's periodic report (1 s) must bring them to the master before the kill.
  await burst(s.url, 15);
  await new Promise((r) => setTimeout(r, 1500));
  const workerPids = [...before.matchAll(/^process_start_time_seconds\{pid="(\d+)"\}/gm)].map((m) => Number(m[1]));
  assert.equal(workerPids.length, 1, 'one live worker labelled by pid');
  process.kill(workerPids[0]!, 'SIGKILL');
  await until(async () => metricValue(await scrape(s.metricsUrl!), 'tsgi_worker_restarts_total', { reason: 'crash' }) >= 1, 20_000, 'the crash counted');
  await until(async () => metricValue(await scrape(s.metricsUrl!), 'tsgi_workers', { state: 'ready' }) === 1, 20_000, 'a replacement worker');
  const after = await check('after kill -9 (counts served after the last scrape included)', 135);
  for (let i = 1; i < readings.length; i++) assert.ok(readings[i]! >= readings[i - 1]!, `monotonic: ${readings.join(' -> ')}`);

  // The master's own start time without a label, each worker's with its pid; nothing per process is summed.
  assert.match(after, /^process_start_time_seconds \d+/m);
  const maxFds = [...after.matchAll(/^process_max_fds(\{[^}]*\})? (\d+)/gm)];
  assert.ok(maxFds.length >= 2 && maxFds.every((m) => m[1] === undefined || /pid="\d+"/.test(m[1])), `process_max_fds per process:\n${maxFds.map((m) => m[0]).join('\n')}`);
  assert.ok(!/nodejs_active_handles_total/.test(after), 'no non-counter with a _total suffix');
});

test('promtool check metrics accepts the appserver\'s /metrics', async (t) => {
  if (!existsSync(PROMTOOL)) {
    t.skip('promtool is not installed (Debian package prometheus; .ci/run installs it)');
    return;
  }
  const s = await startAppserver(['-w', '2', join(FIXTURES, 'ws-express-app.mjs') + ':app']);
  t.after(() => s.stop());
  await burst(s.url, 5);
  const text = await scrape(s.metricsUrl!);
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
});
