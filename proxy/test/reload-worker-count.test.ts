import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RELOADED, adminJson, basicConfig, get, hupUntil, startProxy, startUpstream, until } from './helpers.ts';

// One process model: `workers: 1` is one master and one worker, so a HUP can change the count both ways (before,
// a single-process proxy applied `workers` only at start and warned that it waited for a restart).
test('workers: 1 runs one master and one worker; a HUP to workers: 2 starts two, a HUP back to 1 leaves one; the master stays', { timeout: 90_000 }, async () => {
  const a = await startUpstream();
  const b = await startUpstream();
  const proxy = await startProxy(basicConfig([a.port], 'workers: 1'));
  const pidsOf = async (): Promise<number[]> => (await adminJson(proxy.admin!)).workers.map((w) => w.pid);
  const servedBy = async (): Promise<number> => JSON.parse((await get(proxy.port, '/echo')).body).port;
  try {
    const [first, ...others] = await pidsOf();
    assert.deepEqual(others, [], 'one worker');
    assert.ok(first !== undefined && first !== proxy.child.pid, `the worker (${first}) is not the master (${proxy.child.pid})`);
    assert.equal(await servedBy(), a.port);

    const up = await hupUntil(proxy, basicConfig([b.port], 'workers: 2'), RELOADED, 'the reload to two workers');
    assert.doesNotMatch(up, /"level":[45]0/, 'no error, no warning');
    await until(async () => {
      const pids = await pidsOf();
      return pids.length === 2 && !pids.includes(first);
    }, 20_000, 'two new workers and the old one gone');
    assert.equal(await servedBy(), b.port, 'the rest of the file applied');

    await hupUntil(proxy, basicConfig([a.port], 'workers: 1'), RELOADED, 'the reload back to one worker');
    await until(async () => (await pidsOf()).length === 1, 20_000, 'one worker again');
    assert.equal(await servedBy(), a.port);
    assert.equal(proxy.child.exitCode, null, 'the master never left');
  } finally {
    await proxy.kill();
    await a.kill();
    await b.kill();
  }
});
