import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES, get, loadLoop, metricValue, startAppserver, until } from './helpers.js';

const LEAKY = join(FIXTURES, 'leak-app.mjs') + ':app';

test('--max-worker-memory: a leaking app under load is recycled (replacement first, then drain) with no failed request', async (t) => {
  // Leaks 2 MiB per request: the worker crosses 250 MB RSS after ~100 requests.
  const s = await startAppserver(['-w', '2', '--timeout', '2', '--max-worker-memory', '250', '--max-worker-memory-beats', '2', LEAKY]);
  t.after(() => s.stop());
  const load = loadLoop(s.url, { concurrency: 4, maxRequests: 5000, maxMs: 60_000 });
  await until(() => (s.stderr().match(/exited: memory/g) ?? []).length >= 2, 60_000, 'two workers recycled for memory');
  const stats = await load.stop();
  t.diagnostic(`memory: ${stats.sent} requests, ${stats.failed} failed, ${stats.pids.size} worker pids seen`);
  assert.equal(stats.failed, 0, stats.errors.slice(0, 5).join('; '));
  assert.match(s.stderr(), /over its memory limit \(rss [\d.]+ MB > 250\.0 MB\) for 2 heartbeats: retiring it/);
  assert.ok(stats.pids.size >= 3, `replacement workers served (${stats.pids.size} pids)`);
  const metrics = (await get(s.metricsUrl!)).body;
  assert.ok(metricValue(metrics, 'tsgi_worker_restarts_total', { reason: 'memory' }) >= 2, 'restarts counted with reason="memory"');
});

test('--max-worker-heap-fraction: a JS heap leak is recycled before V8 runs out of heap, no failed request', async (t) => {
  // A 96 MB old space for the workers: V8's heap limit (old + young generation) is then 288 MB on Node 24, 0.25 of it
  // is below the old space; the leak (~50 KB per request) is slow enough that the worker is replaced long before V8
  // runs out of heap.
  const s = await startAppserver(['-w', '1', '--timeout', '2', '--max-worker-heap-fraction', '0.25', '--max-worker-memory-beats', '2', join(FIXTURES, 'leak-heap-app.mjs') + ':app'], {
    env: { NODE_OPTIONS: '--max-old-space-size=96' },
  });
  t.after(() => s.stop());
  const load = loadLoop(s.url, { concurrency: 1, maxRequests: 20_000, maxMs: 90_000 });
  await until(() => /exited: memory/.test(s.stderr()), 90_000, 'a worker recycled for its heap');
  const stats = await load.stop();
  t.diagnostic(`heap: ${stats.sent} requests, ${stats.failed} failed, ${stats.pids.size} worker pids seen`);
  assert.equal(stats.failed, 0, stats.errors.slice(0, 5).join('; '));
  assert.match(s.stderr(), /over its memory limit \(heap used [\d.]+ MB > 0\.25 of the \d+ MB heap limit\) for 2 heartbeats: retiring it/);
  assert.doesNotMatch(s.stderr(), /heap out of memory/);
});

test('--max-worker-memory-beats 0 and a heap fraction of 1 are config errors (exit 2, one line naming the flag)', async () => {
  const { runCli } = await import('./helpers.js');
  for (const [flag, value] of [['--max-worker-memory-beats', '0'], ['--max-worker-heap-fraction', '1'], ['--max-worker-memory', '-5']] as const) {
    const r = runCli(['--check-config', flag, value, LEAKY]);
    const { code } = await r.exited;
    assert.equal(code, 2, `${flag} ${value}: ${r.stderr()}`);
    assert.match(r.stderr(), new RegExp(flag.slice(2)), r.stderr());
    assert.equal(r.stderr().trim().split('\n').length, 1, r.stderr());
  }
});
