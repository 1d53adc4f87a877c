import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES, get, getFresh, metricValue, startAppserver, until } from './helpers.js';

for (const [name, file, header] of [
  ['Express (node listener, auto-detected)', 'express-app.mjs', 'express'],
  ['Fastify instance (node listener, auto-detected)', 'fastify-app.mjs', 'fastify'],
  ['Hono (fetch handler, auto-detected)', 'hono-app.mjs', 'hono'],
] as const) {
  test(`${name} under --workers 2 with metrics and access logs`, async (t) => {
    const s = await startAppserver(['-w', '2', '--access-logfile', '-', '--access-logformat', '%(h)s "%(r)s" %(s)s %({x-framework}o)s %(D)s', join(FIXTURES, file) + ':app']);
    t.after(() => s.stop());
    const pids = new Set<string>();
    await until(async () => {
      const r = await getFresh(s.url);
      assert.equal(r.status, 200);
      pids.add(r.body);
      return pids.size === 2;
    }, 15_000, 'both workers answer');
    const missing = await get(`${s.url}missing`);
    assert.equal(missing.status, 404);
    // Access lines are pino JSON by default: { level, time, pid, msg: '<the gunicorn-format line>' }.
    const lines = (): string[] =>
      s.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { msg: string }).msg);
    await until(() => lines().some((l) => new RegExp(`^127\\.0\\.0\\.1 "GET / HTTP/1\\.1" 200 ${header} \\d+$`).test(l)), 5000, 'access log line');
    await until(() => lines().some((l) => l.startsWith('127.0.0.1 "GET /missing HTTP/1.1" 404')), 5000, '404 access line');
    const text = (await get(s.metricsUrl!)).body;
    assert.ok(metricValue(text, 'tsgi_http_requests_total', { method: 'GET', status: '200' }) >= 2);
    assert.equal(metricValue(text, 'tsgi_http_requests_total', { method: 'GET', status: '404' }), 1);
    assert.ok(metricValue(text, 'nodejs_eventloop_lag_seconds') >= 0);
  });
}
