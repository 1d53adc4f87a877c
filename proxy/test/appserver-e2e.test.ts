import assert from 'node:assert/strict';
import { Agent, type IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { endpointView, appserverMissing, basicConfig, get, startAppserver, startProxy, until, getStatus } from './helpers.ts';

const missing = appserverMissing();

test('tsgi-proxy in front of two tsgi-appservers: kill -9 one under a GET loop, zero failed GETs, re-admitted after restart', { skip: missing ?? false, timeout: 120_000 }, async () => {
  const a = await startAppserver();
  let b = await startAppserver();
  const bPort = b.port;
  const proxy = await startProxy(basicConfig([a.port, bPort], '', 'passive: { maxFails: 1, ejectBase: 300ms, ejectMax: 2s }'));
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  let sent = 0;
  let failed = 0;
  const servedBy = new Map<string, number>();
  const countServedBy = (res: IncomingMessage) => {
    const by = String(res.headers['x-served-by']);
    servedBy.set(by, (servedBy.get(by) ?? 0) + 1);
  };
  const getOnce = async () => {
    sent++;
    if ((await getStatus(proxy.port, '/', agent, countServedBy)) !== 200) failed++;
  };
  let stop = false;
  const deadline = Date.now() + 60_000;
  const loop = (async () => {
    while (!stop && sent < 50_000 && Date.now() < deadline) await Promise.all([getOnce(), getOnce(), getOnce(), getOnce()]);
  })();
  const stateOf = async () => endpointView(proxy.admin!, 'app', `127.0.0.1:${bPort}`);
  try {
    await until(() => servedBy.size >= 2, 20_000, 'both appservers to serve');
    await b.kill('SIGKILL');
    await until(async () => (await stateOf()).ejections > 0, 10_000, 'the killed appserver to be ejected');
    const atKill = sent;
    await until(() => sent > atKill + 200, 20_000, 'load while it is down');
    b = await startAppserver(bPort);
    const before = (await stateOf()).requests;
    await until(async () => (await stateOf()).requests > before + 20, 30_000, 'the restarted appserver to take traffic');
    assert.equal((await stateOf()).state, 'healthy');
    stop = true;
    await loop;
    assert.equal(failed, 0, `${failed} of ${sent} GETs failed`);
    assert.equal((await get(proxy.port, '/post/7')).body, 'Post 7');
  } finally {
    stop = true;
    await loop;
    agent.destroy();
    await proxy.kill();
    await a.kill();
    await b.kill();
  }
});
