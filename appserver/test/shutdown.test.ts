import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES, get, getFresh, startAppserver, tempDir, until } from './helpers.js';

function markers(dir: string, prefix: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(prefix));
}

test('TERM: each worker closes its Fastify instance, so a real onClose hook runs (marker per worker pid)', async () => {
  const dir = tempDir('tsgi-shutdown-');
  const s = await startAppserver(['-w', '2', join(FIXTURES, 'shutdown-fastify-app.mjs') + ':app'], { env: { MARKER_DIR: dir } });
  const pids = new Set<string>();
  await until(async () => {
    pids.add((await getFresh(s.url)).body);
    return pids.size === 2;
  }, 15_000, 'both workers to answer');
  s.proc.kill('SIGTERM');
  const exit = await s.exited;
  assert.equal(exit.code, 0);
  const found = markers(dir, 'onclose-');
  assert.equal(found.length, 2, `one onClose marker per worker, got ${found.join(', ')}`);
  for (const p of pids) assert.ok(existsSync(join(dir, `onclose-${p}`)), `worker ${p} ran onClose`);
});

test('QUIT (fast stop): no drain, but each worker still closes Fastify (onClose marker) before the master\'s SIGKILL', async () => {
  const dir = tempDir('tsgi-shutdown-');
  const s = await startAppserver(['-w', '2', join(FIXTURES, 'shutdown-fastify-app.mjs') + ':app'], { env: { MARKER_DIR: dir } });
  assert.equal((await get(s.url)).status, 200);
  s.proc.kill('SIGQUIT');
  const exit = await s.exited;
  assert.equal(exit.code, 0);
  assert.equal(markers(dir, 'onclose-').length, 2, `onClose markers: ${markers(dir, 'onclose-').join(', ')}`);
});

test('HUP: the old worker runs the exported onShutdown (with the reason) and the app\'s process.on(\'SIGTERM\') listener; new workers keep serving', async (t) => {
  const dir = tempDir('tsgi-shutdown-');
  const s = await startAppserver(['--interface', 'node', '--graceful-timeout', '3', join(FIXTURES, 'shutdown-hooks-app.mjs')], { env: { MARKER_DIR: dir } });
  t.after(() => s.stop());
  const oldPid = (await get(s.url)).body;
  process.kill(s.pid, 'SIGHUP');
  await until(() => existsSync(join(dir, `onshutdown-${oldPid}`)), 15_000, 'the old worker to run onShutdown');
  assert.equal(readFileSync(join(dir, `onshutdown-${oldPid}`), 'utf8'), 'reload');
  await until(() => existsSync(join(dir, `sigterm-${oldPid}`)), 5000, "the old worker's SIGTERM listener");
  const fresh = (await get(s.url)).body;
  assert.notEqual(fresh, oldPid);
  assert.equal(markers(dir, 'onshutdown-').length, 1, 'the new worker did not shut down');
});

test('a shutdown hook that hangs is cut off at the graceful timeout; the worker still exits and the master stops', async () => {
  const dir = tempDir('tsgi-shutdown-');
  const app = join(dir, 'hang.mjs');
  writeFileSync(app, "export default (req, res) => res.end('ok');\nexport function onShutdown() { return new Promise(() => {}); }\n");
  const s = await startAppserver(['--interface', 'node', '--graceful-timeout', '1', app]);
  const started = Date.now();
  s.proc.kill('SIGTERM');
  const exit = await s.exited;
  const took = Date.now() - started;
  assert.equal(exit.code, 0);
  assert.ok(took < 8000, `stopped in ${took} ms`);
  assert.match(s.stderr(), /shutdown hooks did not finish within the graceful timeout/);
});
