import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RELOADED, basicConfig, get, hupUntil, runCli, startProxy, startUpstream, until, type Reply } from './helpers.ts';

const TOKEN = 'test-token-0123456789abcdef';

/** Every worker's view of one endpoint: its admin state and weight. */
async function endpointStates(admin: number, address: string): Promise<{ admin: string; weight: number }[]> {
  const view = JSON.parse((await get(admin, '/upstreams')).body) as { workers: { upstreams: { app: { endpoints: { address: string; admin: string; weight: number }[] } } }[] };
  return view.workers.map((w) => {
    const e = w.upstreams.app.endpoints.find((x) => x.address === address);
    return { admin: e?.admin ?? 'missing', weight: e?.weight ?? 0 };
  });
}

// The admin port was read-only (405 on anything but GET): an operator could not take one endpoint out before
// maintenance. Now POSTs with a bearer token disable, drain, enable and weigh one endpoint in every worker.
for (const workers of [1, 2]) {
  test(`workers: ${workers}: admin writes disable, enable and weigh one endpoint in every worker, need the bearer token, and survive HUP`, { timeout: 120_000 }, async () => {
    const a = await startUpstream();
    const b = await startUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-admin-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const yaml = basicConfig([a.port, b.port], `workers: ${workers}`).replace('admin: { address: "127.0.0.1:0" }', `admin: { address: "127.0.0.1:0", tokenFile: "${tokenFile}" }`);
    const proxy = await startProxy(yaml);
    const admin = proxy.admin!;
    const bAddress = `127.0.0.1:${b.port}`;
    const aAddress = `127.0.0.1:${a.port}`;
    const post = (path: string, body = '', token: string | null = TOKEN): Promise<Reply> =>
      get(admin, path, token === null ? { 'content-type': 'application/json' } : { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, 'POST', body);
    const servedBy = async (n: number): Promise<Map<number, number>> => {
      const counts = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const port = JSON.parse((await get(proxy.port, '/echo')).body).port as number;
        counts.set(port, (counts.get(port) ?? 0) + 1);
      }
      return counts;
    };
    try {
      const unauthenticated = await post(`/upstreams/app/endpoints/${bAddress}/disable`, '', null);
      assert.equal(unauthenticated.status, 401);
      assert.equal(unauthenticated.headers['www-authenticate'], 'Bearer realm="tsgi-proxy admin"');
      assert.equal((await post(`/upstreams/app/endpoints/${bAddress}/disable`, '', 'wrong-token-wrong-token')).status, 401);
      assert.equal((await post('/upstreams/app/endpoints/127.0.0.1:1/disable')).status, 404);
      assert.equal((await post(`/upstreams/app/endpoints/${bAddress}/weight`, '{"weight":0}')).status, 400);

      const disabled = await post(`/upstreams/app/endpoints/${bAddress}/disable`);
      assert.equal(disabled.status, 200, disabled.body);
      assert.deepEqual(JSON.parse(disabled.body), { group: 'app', endpoint: bAddress, state: 'disabled', weight: null });
      // The answer comes once every worker has applied the change.
      assert.deepEqual(await endpointStates(admin, bAddress), Array(workers).fill({ admin: 'disabled', weight: 1 }));
      assert.deepEqual([...(await servedBy(20)).keys()], [a.port], 'no worker sends b new requests');

      // A HUP starts new workers: they get the overrides too.
      const pidsBefore = JSON.parse((await get(admin, '/upstreams')).body).workers.map((w: { pid: number }) => w.pid) as number[];
      await hupUntil(proxy, yaml, RELOADED, 'the reload');
      await until(async () => {
        const view = JSON.parse((await get(admin, '/upstreams')).body) as { workers: { pid: number }[] };
        return view.workers.length === workers && view.workers.every((w) => !pidsBefore.includes(w.pid));
      }, 20_000, 'the new generation to serve alone');
      assert.deepEqual(await endpointStates(admin, bAddress), Array(workers).fill({ admin: 'disabled', weight: 1 }));
      assert.deepEqual([...(await servedBy(20)).keys()], [a.port], 'still disabled after HUP');

      assert.equal((await post(`/upstreams/app/endpoints/${bAddress}/enable`)).status, 200);
      assert.equal((await post(`/upstreams/app/endpoints/${bAddress}/weight`, '{"weight":4}')).status, 200);
      assert.deepEqual(await endpointStates(admin, bAddress), Array(workers).fill({ admin: 'enabled', weight: 4 }));
      // Smooth weighted round robin in each worker: 4 of every 5 requests go to b (80 of 100), whichever worker takes them.
      const counts = await servedBy(100);
      const toB = counts.get(b.port) ?? 0;
      assert.ok(toB >= 65 && toB <= 92, `b got ${toB} of 100 at weight 4 against 1`);
      assert.ok((counts.get(a.port) ?? 0) > 0, 'a still serves');

      assert.equal((await post(`/upstreams/app/endpoints/${bAddress}/weight`, '{"weight":null}')).status, 200);
      assert.deepEqual(await endpointStates(admin, bAddress), Array(workers).fill({ admin: 'enabled', weight: 1 }));
      assert.equal((await endpointStates(admin, aAddress)).length, workers);

      assert.equal((await post('/reload')).status, 202);
      await until(() => (proxy.output().match(/reloading: new workers first/g) ?? []).length >= 2, 20_000, 'the admin reload');
    } finally {
      await proxy.kill();
      await a.kill();
      await b.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('without a token every admin write is refused with 403 and a body saying how to enable them; reads still work', { timeout: 30_000 }, async () => {
  const a = await startUpstream();
  const proxy = await startProxy(basicConfig([a.port]));
  try {
    const r = await get(proxy.admin!, `/upstreams/app/endpoints/127.0.0.1:${a.port}/disable`, { authorization: `Bearer ${TOKEN}` }, 'POST');
    assert.equal(r.status, 403);
    assert.match(r.body, /admin writes are off: set admin\.tokenFile or TSGI_PROXY_ADMIN_TOKEN/);
    assert.equal((await get(proxy.admin!, '/upstreams')).status, 200);
    assert.equal((await get(proxy.port, '/echo')).status, 200);
  } finally {
    await proxy.kill();
    await a.kill();
  }
});

test('drain keeps the clients whose sticky cookie names the endpoint and sends it no one new; disable sends it nothing; enable brings it back', { timeout: 60_000 }, async () => {
  const a = await startUpstream();
  const b = await startUpstream();
  const proxy = await startProxy(basicConfig([a.port, b.port], '', 'sticky: { cookie: SRV }'), [], { TSGI_PROXY_ADMIN_TOKEN: TOKEN });
  const bAddress = `127.0.0.1:${b.port}`;
  const post = (path: string): Promise<Reply> => get(proxy.admin!, path, { authorization: `Bearer ${TOKEN}` }, 'POST');
  const portOf = (r: Reply): number => (JSON.parse(r.body) as { port: number }).port;
  try {
    // A client pinned to b by its first response.
    let pinned: string | undefined;
    for (let i = 0; i < 6 && pinned === undefined; i++) {
      const r = await get(proxy.port, '/echo');
      const line = [r.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('SRV='));
      if (portOf(r) === b.port && line !== undefined) pinned = line.split(';')[0];
    }
    assert.ok(pinned !== undefined, 'one of 6 new clients was pinned to b');

    assert.equal((await post(`/upstreams/app/endpoints/${bAddress}/drain`)).status, 200);
    for (let i = 0; i < 6; i++) assert.equal(portOf(await get(proxy.port, '/echo')), a.port, 'no new client goes to a draining endpoint');
    for (let i = 0; i < 4; i++) assert.equal(portOf(await get(proxy.port, '/echo', { cookie: pinned })), b.port, 'its sticky clients stay');

    assert.equal((await post(`/upstreams/app/endpoints/${bAddress}/disable`)).status, 200);
    for (let i = 0; i < 4; i++) assert.equal(portOf(await get(proxy.port, '/echo', { cookie: pinned })), a.port, 'a disabled endpoint takes nothing');

    assert.equal((await post(`/upstreams/app/endpoints/${bAddress}/enable`)).status, 200);
    const ports = new Set<number>();
    for (let i = 0; i < 6; i++) ports.add(portOf(await get(proxy.port, '/echo')));
    assert.deepEqual([...ports].sort(), [a.port, b.port].sort(), 'b serves new clients again');
  } finally {
    await proxy.kill();
    await a.kill();
    await b.kill();
  }
});

test('an admin token shorter than 16 characters, or a token file that cannot be read, is a one-line config error, exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-admin-'));
  try {
    const file = join(dir, 'proxy.yaml');
    writeFileSync(file, basicConfig([9]).replace('admin: { address: "127.0.0.1:0" }', `admin: { address: "127.0.0.1:0", tokenFile: "${join(dir, 'missing')}" }`));
    const missing = await runCli(['--config', file, '--check-config', '--no-resolve']);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `config: admin.tokenFile cannot be read: ${join(dir, 'missing')} (ENOENT) (from ${file})\n`);
    writeFileSync(file, basicConfig([9]));
    const short = await runCli(['--config', file, '--check-config', '--no-resolve'], { TSGI_PROXY_ADMIN_TOKEN: 'short' });
    assert.equal(short.code, 2);
    assert.equal(short.stderr, 'config: TSGI_PROXY_ADMIN_TOKEN must be a token of at least 16 characters (from TSGI_PROXY_ADMIN_TOKEN)\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
