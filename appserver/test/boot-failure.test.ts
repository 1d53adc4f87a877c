// Boot failures halt, never loop (gunicorn's rule): whatever an app's hooks attach to the worker's server, a
// listen error is exit 3 with one line naming the address, not an uncaught exception and a crash loop; and
// /healthz does not call a master healthy while none of its workers ever booted.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT } from '@tsgi/arbiter';
import { busyPort, freePort } from '@tsgi/test-support';
import { FIXTURES, runCli, tempDir, until, writeApp } from './helpers.js';

/** Runs the appserver with two workers on a taken port; it must halt with exit 3 and not respawn a worker in between. */
async function assertHaltsOnBusyPort(app: string): Promise<void> {
  const busy = await busyPort();
  try {
    const address = `127.0.0.1:${busy.port}`;
    const r = runCli(['-w', '2', '-b', address, '--interface', 'node', app]);
    const bounded = setTimeout(() => r.proc.kill('SIGKILL'), 40_000);
    const { code, signal } = await r.exited;
    clearTimeout(bounded);
    const stderr = r.stderr();
    assert.equal(signal, null, `still running after 40 s (a respawn loop?):\n${stderr.slice(-3000)}`);
    assert.equal(code, EXIT.WORKER_BOOT_ERROR, stderr.slice(-3000));
    assert.doesNotMatch(stderr, /exited: crash/, 'no worker was respawned');
    assert.doesNotMatch(stderr, /uncaught exception/, 'the bind error is not an uncaught exception');
    const line = stderr.split('\n').find((l) => l.startsWith('tsgi-appserver:'));
    assert.ok(line, stderr.slice(-3000));
    assert.match(line, new RegExp(`cannot listen on (http://)?${address.replace(/\./g, '\\.')} \\(--bind\\).*(EADDRINUSE|address already in use)`));
  } finally {
    busy.server.close();
  }
}

for (const [what, fixture] of [
  ['ws attached in onServer (it re-emits the server\'s error on a WebSocketServer with no listener)', 'ws-express-app.mjs'],
  ['socket.io attached in onServer', 'socketio-app.mjs'],
  ['Fastify with @fastify/websocket', 'fastify-ws-app.mjs'],
] as const) {
  test(`a busy --bind port, ${what}: exit 3 with the address, no crash loop`, { timeout: 60_000 }, async () => {
    await assertHaltsOnBusyPort(join(FIXTURES, `${fixture}:app`));
  });
}

test('an error listener of the app\'s own that throws on the bind error: exit 3 with the address', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const app = writeApp(
    dir,
    'throwing-listener.mjs',
    "export const app = (_req, res) => res.end('x');\n" +
      "export function onServer(server) { server.on('error', (err) => { throw new Error(`app gave up: ${err.code}`); }); }\n",
  );
  await assertHaltsOnBusyPort(`${app}:app`);
});

test('an app hook that throws later in the boot (after onServer returned, before ready) is a boot failure: exit 3', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const app = writeApp(
    dir,
    'late-throw.mjs',
    "export const app = (_req, res) => res.end('x');\n" +
      "export function onServer(server) { server.on('listening', () => { throw new Error('cannot open the cache'); }); }\n",
  );
  const r = runCli(['-w', '2', '-b', '127.0.0.1:0', '--interface', 'node', `${app}:app`]);
  const bounded = setTimeout(() => r.proc.kill('SIGKILL'), 40_000);
  const { code } = await r.exited;
  clearTimeout(bounded);
  assert.equal(code, EXIT.WORKER_BOOT_ERROR, r.stderr().slice(-3000));
  assert.doesNotMatch(r.stderr(), /exited: crash/, 'no worker was respawned');
  assert.match(r.stderr(), /^tsgi-appserver: .*cannot open the cache/m);
});

test('/healthz is 503 while no worker has ever booted, 200 once one has; /readyz agrees', { timeout: 60_000 }, async (t) => {
  const gate = join(tempDir(), 'gate');
  const metricsPort = await freePort();
  const r = runCli(['-b', '127.0.0.1:0', '--metrics-bind', `127.0.0.1:${metricsPort}`, join(FIXTURES, 'gated-boot-app.mjs') + ':app'], {
    env: { BOOT_GATE: gate },
  });
  t.after(async () => {
    if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
    await r.exited;
  });
  const probe = async (path: string): Promise<{ status: number; body: string } | undefined> => {
    try {
      const res = await fetch(`http://127.0.0.1:${metricsPort}${path}`, { signal: AbortSignal.timeout(5_000) });
      return { status: res.status, body: await res.text() };
    } catch {
      return undefined;
    }
  };
  let before: { status: number; body: string } | undefined;
  await until(async () => {
    if (r.proc.exitCode !== null) throw new Error(`appserver exited: ${r.stderr()}`);
    before = await probe('/healthz');
    return before !== undefined;
  }, 30_000, 'the metrics port to answer');
  assert.equal(before!.status, 503, before!.body);
  assert.deepEqual(JSON.parse(before!.body), { status: 'starting', workers: 0 });
  assert.equal((await probe('/readyz'))?.status, 503);

  writeFileSync(gate, '');
  await until(() => /Ready: /.test(r.stdout()), 30_000, 'Ready');
  const after = await probe('/healthz');
  assert.equal(after?.status, 200, after?.body);
  assert.equal((await probe('/readyz'))?.status, 200);
});
