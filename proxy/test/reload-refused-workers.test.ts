import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { basicConfig, get, hupUntil, startProxy, startUpstream, until } from './helpers.ts';

// --workers 2: HUPs with a config the new workers cannot use keep the running generation serving, each says why
// in one log line, and a later HUP with a fixed file applies. Before, the listener case stopped the whole proxy:
// the first new worker's boot error rolled the reload back, the second one's (same generation) halted the master.
test('--workers 2: HUP with a bad value, a listener on a port in use, a bad certificate: old config serves; a fixed file applies', { timeout: 90_000 }, async () => {
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const busyPort = (busy.address() as { port: number }).port;
  const a = await startUpstream();
  const b = await startUpstream();
  const proxy = await startProxy(basicConfig([a.port], 'workers: 2'));
  const servedBy = async (): Promise<number> => JSON.parse((await get(proxy.port, '/echo')).body).port;
  const hup = (yaml: string, logged: RegExp, what: string) => hupUntil(proxy, yaml, logged, what);
  try {
    assert.equal(await servedBy(), a.port);
    const toB = basicConfig([b.port], 'workers: 2');

    await hup(basicConfig([b.port], 'workers: 2', 'balance: fastest'), /reload cancelled: config: upstreams\.app\.balance /, 'the bad value to be refused');
    assert.equal(await servedBy(), a.port);

    const beforeBusy = proxy.output().length;
    await hup(toB.replace('127.0.0.1:0', `127.0.0.1:${busyPort}`), /reload failed, keeping the previous workers: .*cannot listen on 127\.0\.0\.1:\d+ \(listeners\.0\.address\): address already in use/, 'the busy listener to roll back');
    // Both new workers go (one fails to boot, the other fails too or is stopped by the rollback); once both are
    // reaped the old ones still serve and the master is up.
    await until(() => (proxy.output().slice(beforeBusy).match(/worker \(pid:\d+\) exited/g) ?? []).length >= 2, 20_000, 'both new workers to exit');
    for (let i = 0; i < 6; i++) assert.equal(await servedBy(), a.port);
    assert.equal(proxy.child.exitCode, null, 'the proxy is still running');
    assert.doesNotMatch(proxy.output(), /Shutting down/);

    await hup(toB.replace('address: "127.0.0.1:0" }]', 'address: "127.0.0.1:0", tls: { certs: [{ cert: /nonexistent/x.pem, key: /nonexistent/x.key }] } }]'), /reload cancelled: tls: cannot read certificate \/nonexistent\/x\.pem: ENOENT/, 'the bad certificate to be refused');
    assert.equal(await servedBy(), a.port);

    await hup(toB, /reloading: new workers first/, 'the fixed reload');
    await until(async () => (await servedBy()) === b.port, 20_000, 'the new generation to serve b');
    assert.equal(proxy.child.exitCode, null);
  } finally {
    await proxy.kill();
    await a.kill();
    await b.kill();
    busy.close();
  }
});

test('--workers 2: a HUP that moves the admin port applies the rest and warns that admin.address waits for a restart', { timeout: 60_000 }, async () => {
  const a = await startUpstream();
  const b = await startUpstream();
  const proxy = await startProxy(basicConfig([a.port], 'workers: 2'));
  try {
    const moved = basicConfig([b.port], 'workers: 2').replace('admin: { address: "127.0.0.1:0" }', 'admin: { address: "127.0.0.2:0" }');
    await hupUntil(proxy, moved, /reload: admin\.address changed; the master binds it only at start/, 'the warning');
    await until(async () => JSON.parse((await get(proxy.port, '/echo')).body).port === b.port, 20_000, 'the rest of the file to apply');
    assert.equal((await get(proxy.admin!, '/healthz')).status, 200, 'the admin port it had still answers');
  } finally {
    await proxy.kill();
    await a.kill();
    await b.kill();
  }
});
