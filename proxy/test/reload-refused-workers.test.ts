import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { basicConfig, get, hupUntil, startProxy, startUpstream, until } from './helpers.ts';

// HUPs with a config the new workers cannot use keep the running generation serving, each says why in one log
// line, and a later HUP with a fixed file applies. Before, the listener case stopped the whole proxy: the first new
// worker's boot error rolled the reload back, the second one's (same generation) halted the master. With 1 and 2
// workers (one process model: `workers: 1` reloads by generation too).
for (const workers of [1, 2]) {
  test(`workers: ${workers}: HUP with a bad value, a listener on a port in use, a bad certificate: old config serves; a fixed file applies`, { timeout: 90_000 }, async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const busyPort = (busy.address() as { port: number }).port;
    const a = await startUpstream();
    const b = await startUpstream();
    const proxy = await startProxy(basicConfig([a.port], `workers: ${workers}`));
    const servedBy = async (): Promise<number> => JSON.parse((await get(proxy.port, '/echo')).body).port;
    const hup = (yaml: string, logged: RegExp, what: string) => hupUntil(proxy, yaml, logged, what);
    try {
      assert.equal(await servedBy(), a.port);
      const toB = basicConfig([b.port], `workers: ${workers}`);

      await hup(basicConfig([b.port], `workers: ${workers}`, 'balance: fastest'), /reload cancelled: config: upstreams\.app\.balance /, 'the bad value to be refused');
      assert.equal(await servedBy(), a.port);

      const beforeBusy = proxy.output().length;
      await hup(toB.replace('127.0.0.1:0', `127.0.0.1:${busyPort}`), /reload failed, keeping the previous workers: .*cannot listen on 127\.0\.0\.1:\d+ \(listeners\.0\.address\): address already in use/, 'the busy listener to roll back');
      // Every new worker goes (one fails to boot, any other fails too or is stopped by the rollback); once all are
      // reaped the old ones still serve and the master is up.
      await until(() => (proxy.output().slice(beforeBusy).match(/worker \(pid:\d+\) exited/g) ?? []).length >= workers, 20_000, 'the new workers to exit');
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
}
