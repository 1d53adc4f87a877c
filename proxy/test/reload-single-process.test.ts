import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basicConfig, get, hupUntil, startProxy, startUpstream } from './helpers.ts';

// A HUP that changes the worker count applies the rest and says, in one warning, that `workers` waits for a restart
// (listeners and the admin port are rebound: reload-listeners.test.ts).
test('single process: HUP with a bad value keeps the old config; a workers change is named as waiting for a restart', { timeout: 60_000 }, async () => {
  const a = await startUpstream();
  const b = await startUpstream();
  const proxy = await startProxy(basicConfig([a.port]));
  const servedBy = async (): Promise<number> => JSON.parse((await get(proxy.port, '/echo')).body).port;
  const hup = (yaml: string, logged: RegExp, what: string) => hupUntil(proxy, yaml, logged, what);
  try {
    assert.equal(await servedBy(), a.port);
    await hup(basicConfig([b.port], '', 'timeouts: { connect: 5x }'), /upstreams\.app\.timeouts\.connect must be a duration.*reload refused; keeping the running config/, 'the bad value to be refused');
    assert.equal(await servedBy(), a.port);

    const out = await hup(basicConfig([b.port], 'workers: 2'), /config reloaded/, 'the reload');
    const warn = out.split('\n').find((l) => l.includes('"level":40'));
    assert.ok(warn !== undefined, `a warning in: ${out}`);
    assert.match(JSON.parse(warn).msg, /^reload: workers changed; a single-process proxy applies it only at start/);
    assert.equal(await servedBy(), b.port, 'the rest of the file applied');
  } finally {
    await proxy.kill();
    await a.kill();
    await b.kill();
  }
});
