import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminJson, get, startProxy, startUpstream, until } from './helpers.ts';

test('tsgi-proxy --workers 2 with two listeners both on 127.0.0.1:0: each gets its own port, both serve, and keep their ports across a HUP', { timeout: 60_000 }, async (t) => {
  const up = await startUpstream();
  t.after(() => up.kill());
  const proxy = await startProxy(
    `listeners:
  - { address: "127.0.0.1:0" }
  - { address: "127.0.0.1:0" }
admin: { address: "127.0.0.1:0" }
accessLog: false
upstreams:
  app: { servers: ["127.0.0.1:${up.port}"] }
routes: [{ upstream: app }]
`,
    ['--workers', '2'],
  );
  t.after(() => proxy.kill());
  const [a, b] = proxy.ports as [number, number];
  assert.notEqual(a, b, 'two listeners, two ports');
  for (const port of [a, b]) assert.equal((await get(port, '/echo')).status, 200, `port ${port} serves`);
  const before = (await adminJson(proxy.admin!)).workers.map((w) => w.pid);
  assert.equal(before.length, 2);
  proxy.child.kill('SIGHUP');
  await until(async () => {
    const now = (await adminJson(proxy.admin!)).workers.map((w) => w.pid);
    return now.length === 2 && !now.some((p) => before.includes(p));
  }, 30_000, 'a new generation after HUP');
  for (const port of [a, b]) assert.equal((await get(port, '/echo')).status, 200, `port ${port} still serves after HUP`);
});
