import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { hasPromtool } from '@tsgi/test-support';
import { assertPromtool, basicConfig, get, startProxy, startUpstream, until } from './helpers.ts';

// An upstream that accepts TCP and never answers the check (a wedged process): out within the check timeout times
// the unhealthy threshold, in every worker, and /metrics says so in words that hold with N workers (the gauge sums
// over workers; its HELP said "1 when the endpoint takes traffic" while a healthy endpoint read 2 with --workers 2).
test('--workers 2: an upstream that accepts TCP but never answers its check is marked down in every worker; traffic avoids it', { timeout: 60_000 }, async (t) => {
  const silent = spawn(process.execPath, ['-e', "const s = require('net').createServer((c) => c.resume()); s.listen(0, '127.0.0.1', () => console.log(s.address().port));"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const silentPort = await new Promise<number>((resolve) => silent.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const a = await startUpstream();
  const proxy = await startProxy(basicConfig([a.port, silentPort], 'workers: 2', 'active: { path: /__health, interval: 200ms, timeout: 300ms, healthyThreshold: 2, unhealthyThreshold: 2 }'));
  const gauge = (text: string, port: number): number | undefined => {
    const m = new RegExp(`^tsgi_proxy_endpoint_healthy\\{upstream="app",endpoint="127\\.0\\.0\\.1:${port}"\\} (\\S+)$`, 'm').exec(text);
    return m === null ? undefined : Number(m[1]);
  };
  try {
    let metrics = '';
    await until(async () => gauge((metrics = (await get(proxy.admin!, '/metrics')).body), silentPort) === 0, 15_000, 'the silent upstream to be marked down in both workers');
    assert.equal(gauge(metrics, a.port), 2, 'the healthy one counts once per worker');
    assert.match(metrics, /^# HELP tsgi_proxy_endpoint_healthy Proxy workers in which the endpoint takes traffic/m);
    const view = JSON.parse((await get(proxy.admin!, '/upstreams')).body) as { workers: { upstreams: { app: { endpoints: { address: string; state: string }[] } } }[] };
    assert.equal(view.workers.length, 2);
    for (const w of view.workers) assert.equal(w.upstreams.app.endpoints.find((e) => e.address === `127.0.0.1:${silentPort}`)?.state, 'unhealthy');
    for (let i = 0; i < 10; i++) assert.equal(JSON.parse((await get(proxy.port, '/echo')).body).port, a.port);
    if (hasPromtool()) assertPromtool(metrics);
    else t.diagnostic('promtool not installed (Debian package prometheus): exposition format not checked');
  } finally {
    await proxy.kill();
    await a.kill();
    silent.kill('SIGKILL');
  }
});
