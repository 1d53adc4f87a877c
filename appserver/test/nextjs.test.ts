// A Next.js app (App Router: a prerendered page, a dynamic route handler, static chunks) built with `next build`
// and served by tsgi-appserver's workers from the module a user writes: `export default next({ dir })`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { FIXTURES, get, getFresh, metricValue, startAppserver, until } from './helpers.js';

const APP_DIR = join(FIXTURES, 'next-app');
const NEXT_BIN = createRequire(import.meta.url).resolve('next/dist/bin/next');

function nextBuild(): Promise<{ code: number | null; output: string }> {
  const proc = spawn(process.execPath, [NEXT_BIN, 'build'], {
    cwd: APP_DIR,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => proc.once('exit', (code) => resolve({ code, output })));
}

test('a Next.js app built with next build runs under tsgi-appserver -w 2 from `export default next({ dir })`', { timeout: 240_000 }, async (t) => {
  const build = await nextBuild();
  assert.equal(build.code, 0, `next build failed:\n${build.output}`);

  const s = await startAppserver(['-w', '2', join(APP_DIR, 'server.mjs')], { env: { NEXT_TELEMETRY_DISABLED: '1' } });
  t.after(() => s.stop());

  const page = await get(s.url);
  assert.equal(page.status, 200);
  assert.match(page.body, /Hello from Next\.js under tsgi-appserver/);

  // The route handler runs per request in whichever worker took the connection: both workers serve Next.
  const pids = new Set<number>();
  await until(async () => {
    const r = await getFresh(`${s.url}api/echo`);
    assert.equal(r.status, 200);
    pids.add((JSON.parse(r.body) as { pid: number }).pid);
    return pids.size === 2;
  }, 20_000, 'both workers answer the route handler');

  const body = 'x'.repeat(100_000);
  const posted = await request(`${s.url}api/echo`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  assert.equal(posted.statusCode, 200);
  assert.equal(((await posted.body.json()) as { bytes: number }).bytes, body.length);

  const chunk = /\/_next\/static\/[^"]+\.js/.exec(page.body)?.[0];
  assert.ok(chunk, 'the page links its static chunks');
  const asset = await request(new URL(chunk, s.url));
  assert.equal(asset.statusCode, 200);
  assert.match(String(asset.headers['content-type']), /javascript/);
  await asset.body.dump();

  const missing = await get(`${s.url}no-such-page`);
  assert.equal(missing.status, 404);

  const metrics = (await get(s.metricsUrl!)).body;
  assert.ok(metricValue(metrics, 'tsgi_http_requests_total', { method: 'GET', status: '200' }) >= 4);
  assert.equal(metricValue(metrics, 'tsgi_http_requests_total', { method: 'GET', status: '404' }), 1);

  s.proc.kill('SIGTERM');
  const exit = await s.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, s.stderr());
});
