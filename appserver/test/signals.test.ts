import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES, get, getFresh, loadLoop, metricValue, startAppserver, tempDir, until } from './helpers.js';

const APP = join(FIXTURES, 'pid-app.mjs') + ':app';

async function workerPids(metricsUrl: string): Promise<number> {
  const text = (await get(metricsUrl)).body;
  return metricValue(text, 'tsgi_workers', { state: 'ready' });
}

test('kill -9 of one worker under load: replaced, only its requests may fail', async (t) => {
  const s = await startAppserver(['-w', '2', APP]);
  t.after(() => s.stop());
  const load = loadLoop(s.url, { concurrency: 8, maxMs: 15_000 });
  await until(() => load.stats.pids.size === 2, 10_000, 'both workers serving');
  const before = new Set(load.stats.pids);
  const victim = Number([...before][0]);
  process.kill(victim, 'SIGKILL');
  await until(async () => {
    const text = (await get(s.metricsUrl!)).body;
    return metricValue(text, 'tsgi_worker_restarts_total', { reason: 'crash' }) === 1 && metricValue(text, 'tsgi_workers', { state: 'ready' }) === 2;
  }, 15_000, 'a replacement worker ready');
  // The replacement is a pid no one saw before the kill. (The load's own reconnects may reach it first, so
  // "a pid the load never saw" is not the test: it failed whenever they did.)
  const seen = new Set<string>();
  await until(async () => {
    seen.add((await getFresh(s.url)).body);
    return [...seen].some((pid) => !before.has(pid));
  }, 10_000, 'the replacement serving new connections');
  const stats = await load.stop();
  t.diagnostic(`kill -9: ${stats.sent} requests, ${stats.failed} failed (${[...new Set(stats.errors)].join('; ')})`);
  // Only requests in flight on the killed worker (at most one per connection) may fail.
  assert.ok(stats.failed <= 8, `failed ${stats.failed}`);
  assert.ok(stats.ok > stats.failed);
  const text = (await get(s.metricsUrl!)).body;
  assert.equal(metricValue(text, 'tsgi_worker_restarts_total', { reason: 'crash' }), 1);
});

test('HUP under load: zero failures, all pids new, the changed module is served', async (t) => {
  const dir = tempDir();
  const app = join(dir, 'app.mjs');
  copyFileSync(join(FIXTURES, 'pid-app.mjs'), app);
  const s = await startAppserver(['-w', '2', `${app}:app`]);
  t.after(() => s.stop());
  assert.equal((await get(`${s.url}version`)).body, 'v1');
  const load = loadLoop(s.url, { concurrency: 8, maxMs: 20_000 });
  await until(() => load.stats.pids.size === 2, 10_000, 'both workers serving');
  const before = new Set(load.stats.pids);
  writeFileSync(app, readFileSync(app, 'utf8').replace("VERSION = 'v1'", "VERSION = 'v2'"));
  process.kill(s.pid, 'SIGHUP');
  await until(async () => (await get(`${s.url}version`)).body === 'v2', 15_000, 'new code');
  // Let the old generation finish draining while the load keeps going.
  await until(() => /exited: reload[\s\S]*exited: reload/.test(s.stderr()), 15_000, 'old workers exited');
  load.stats.pids.clear();
  await until(() => load.stats.pids.size === 2, 10_000, 'new workers serving');
  const stats = await load.stop();
  t.diagnostic(`HUP: ${stats.sent} requests, ${stats.failed} failed`);
  assert.equal(stats.failed, 0, stats.errors.slice(0, 5).join('; '));
  for (const pid of stats.pids) assert.ok(!before.has(pid), `pid ${pid} survived the reload`);
  for (let i = 0; i < 10; i++) assert.equal((await get(`${s.url}version`)).body, 'v2');
});

test('TTIN then TTOU change the worker count in /metrics', async (t) => {
  const s = await startAppserver(['-w', '1', APP]);
  t.after(() => s.stop());
  assert.equal(await workerPids(s.metricsUrl!), 1);
  process.kill(s.pid, 'SIGTTIN');
  await until(async () => (await workerPids(s.metricsUrl!)) === 2, 15_000, '2 workers');
  assert.equal(metricValue((await get(s.metricsUrl!)).body, 'tsgi_workers_target'), 2);
  process.kill(s.pid, 'SIGTTOU');
  await until(async () => {
    const text = (await get(s.metricsUrl!)).body;
    return metricValue(text, 'tsgi_workers', {}) === 1 && metricValue(text, 'tsgi_workers_target') === 1;
  }, 15_000, 'back to 1 worker');
});

/** True when a TCP connect to the app port is refused (nothing listens any more). */
function connectRefused(port: number, host: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const c = connect(port, host);
    c.once('connect', () => {
      c.destroy();
      resolve(false);
    });
    c.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

test('TERM under load: new connections are refused while in-flight requests finish; those complete with 200; exit 0', async (t) => {
  const s = await startAppserver(['-w', '2', '--graceful-timeout', '10', APP]);
  t.after(() => s.stop());
  const url = new URL(s.url);
  const port = Number(url.port);
  let slowSettled = 0;
  const slow = Array.from({ length: 4 }, () => {
    const p = get(`${s.url}slow?ms=5000`);
    p.then(
      () => slowSettled++,
      () => slowSettled++,
    );
    return p;
  });
  // Slow ones first (so the in-flight count is theirs alone), then the load loop around them.
  await until(async () => metricValue((await get(s.metricsUrl!)).body, 'tsgi_http_requests_in_flight') >= 4, 5000, 'slow requests in flight');
  const load = loadLoop(s.url, { concurrency: 4, maxRequests: 20_000, maxMs: 20_000 });
  t.after(() => load.stop().catch(() => undefined));
  await until(() => load.stats.ok >= 50, 10_000, 'the load loop served');
  const okBeforeTerm = load.stats.ok;
  const started = Date.now();
  process.kill(s.pid, 'SIGTERM');
  // While the slow requests are still being served, the listener is already closed: a new connection is refused.
  await until(() => connectRefused(port, url.hostname), 3000, 'new connections refused during the drain');
  assert.equal(slowSettled, 0, 'refusal was seen while the in-flight requests were still running');
  assert.equal(s.proc.exitCode, null, 'the master is still draining');
  const stats = await load.stop();
  const statusErrors = stats.errors.filter((e) => e.startsWith('status '));
  t.diagnostic(`TERM under load: ${stats.sent} requests, ${stats.ok} ok (${okBeforeTerm} before TERM), ${stats.failed} failed after the listener closed`);
  assert.deepEqual(statusErrors, [], 'no request that got an answer got an error status');
  const results = await Promise.all(slow);
  for (const r of results) assert.equal(r.status, 200, 'in-flight requests complete');
  const { code } = await s.exited;
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 10_000, 'within graceful-timeout');
  assert.ok(await connectRefused(port, url.hostname), 'still refused after exit');
});

test('readiness is false while draining; healthz answers', async (t) => {
  const s = await startAppserver(['-w', '1', '--graceful-timeout', '10', APP]);
  t.after(() => s.stop());
  const base = s.metricsUrl!.replace(/\/metrics$/, '');
  assert.equal((await get(`${base}/readyz`)).status, 200);
  assert.equal((await get(`${base}/healthz`)).status, 200);
  const slow = get(`${s.url}slow?ms=1500`);
  await until(async () => metricValue((await get(s.metricsUrl!)).body, 'tsgi_http_requests_in_flight') >= 1, 5000, 'in flight');
  process.kill(s.pid, 'SIGTERM');
  await until(async () => (await get(`${base}/readyz`)).status === 503, 5000, 'readyz 503 while draining');
  assert.equal((await slow).status, 200);
  assert.equal((await s.exited).code, 0);
});

test('USR1 reopens the access log file (logrotate style)', async (t) => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  const s = await startAppserver(['-w', '1', '--access-logfile', log, '--log-format', 'text', APP]);
  t.after(() => s.stop());
  await get(`${s.url}first`);
  await until(() => readFileSync(log, 'utf8').includes('GET /first'), 5000, 'first line');
  const { renameSync } = await import('node:fs');
  renameSync(log, `${log}.1`);
  process.kill(s.pid, 'SIGUSR1');
  await until(async () => {
    await get(`${s.url}second`);
    try {
      return readFileSync(log, 'utf8').includes('GET /second');
    } catch {
      return false;
    }
  }, 10_000, 'line in the reopened file');
  assert.match(readFileSync(`${log}.1`, 'utf8'), /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/first HTTP\/1\.1" 200 \d+ "-" "[^"]*"$/m);
});

test('USR1 when the log directory cannot be reopened (replaced by a file): master and workers keep serving on the old files; a worker booted after it logs to its std streams', async (t) => {
  const dir = tempDir();
  const logs = join(dir, 'logs');
  const { mkdirSync, renameSync } = await import('node:fs');
  mkdirSync(logs);
  const s = await startAppserver(['-w', '2', '--access-logfile', join(logs, 'access.log'), '--error-logfile', join(logs, 'error.log'), '--log-format', 'text', APP]);
  t.after(() => s.stop());
  const first = (await get(s.url)).body;
  renameSync(logs, `${logs}.old`);
  writeFileSync(logs, 'not a directory');
  process.kill(s.pid, 'SIGUSR1');
  await until(() => /"role":"master".*cannot reopen error log/.test(readFileSync(join(`${logs}.old`, 'error.log'), 'utf8')), 10_000, "the master's line in the old error log");
  for (let i = 0; i < 5; i++) assert.equal((await getFresh(s.url)).status, 200, 'still serving after USR1');
  assert.equal(s.proc.exitCode, null, `the master is alive:\n${s.stderr()}`);
  await until(() => readFileSync(join(`${logs}.old`, 'access.log'), 'utf8').includes('GET / HTTP/1.1'), 5000, 'access lines still in the old file');
  process.kill(Number(first), 'SIGKILL');
  await until(() => /cannot open error log .*logging to stderr/.test(s.stderr()), 15_000, 'the replacement worker booting on stderr');
  const pids = new Set<string>();
  await until(async () => {
    pids.add((await getFresh(s.url)).body);
    return pids.size === 2 && !pids.has(first);
  }, 15_000, 'two live workers, one of them the replacement');
});
