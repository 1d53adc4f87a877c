import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { basicConfig, endpointView, get, startProxy, startUpstream, until } from './helpers.ts';

/**
 * An address whose connects hang: a real process listening with a backlog of 1, stopped with SIGSTOP, its accept
 * queue filled by `fill` sockets, so the kernel drops further SYNs (a dead host or a blackholed route looks so).
 */
async function blackhole(): Promise<{ port: number; close: () => void }> {
  const child: ChildProcess = spawn(process.execPath, ['-e', "const s = require('net').createServer(); s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log(s.address().port));"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  child.kill('SIGSTOP');
  const fill: Socket[] = [];
  for (let i = 0; i < 4; i++) fill.push(connect(port, '127.0.0.1').on('error', () => {}));
  await new Promise((r) => setTimeout(r, 200));
  return {
    port,
    close: () => {
      for (const s of fill) s.destroy();
      child.kill('SIGKILL');
      child.kill('SIGCONT');
    },
  };
}

// Every endpoint ejected: panic mode used to send every request on to them anyway, so against addresses that do
// not answer each request waited out the connect timeout (twice, with the retry), however long the outage lasted.
// Now one trial a second goes through and the rest get a fast 502 naming PX_ERR_NO_ENDPOINT.
test('both upstreams blackholed: after they are ejected, requests get a fast 502 PX_ERR_NO_ENDPOINT, not a connect timeout each', { timeout: 60_000 }, async () => {
  const holes = [await blackhole(), await blackhole()];
  const proxy = await startProxy(basicConfig(holes.map((h) => h.port), 'debug: true', 'timeouts: { connect: 500ms }'));
  try {
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await get(proxy.port, '/echo');
      assert.ok(r.status === 502 || r.status === 504, `status ${r.status}`);
      codes.push(String(r.headers['x-proxy-error']));
    }
    const fast = codes.filter((c) => c === 'PX_ERR_NO_ENDPOINT').length;
    const timedOut = codes.filter((c) => c === 'PX_ERR_UPSTREAM_CONNECT_TIMEOUT').length;
    assert.equal(fast + timedOut, codes.length, codes.join(' '));
    // Two requests (four attempts) eject both; after that at most one trial a second waits on a connect.
    assert.ok(fast >= 6, `only ${fast} of 12 answered without waiting on a connect: ${codes.join(' ')}`);
    assert.equal((await get(proxy.admin!, '/healthz')).status, 200, 'the proxy is up');
  } finally {
    await proxy.kill();
    for (const h of holes) h.close();
  }
});

test('both upstreams killed: refused connects answer 502 at once; the proxy recovers when one comes back', { timeout: 60_000 }, async () => {
  let a = await startUpstream();
  const b = await startUpstream();
  const aPort = a.port;
  const proxy = await startProxy(basicConfig([aPort, b.port], 'debug: true'));
  try {
    assert.equal((await get(proxy.port, '/echo')).status, 200);
    await a.kill('SIGKILL');
    await b.kill('SIGKILL');
    const answers = await Promise.all(Array.from({ length: 30 }, () => get(proxy.port, '/echo')));
    for (const r of answers) {
      assert.equal(r.status, 502);
      assert.match(String(r.headers['x-proxy-error']), /^PX_ERR_(UPSTREAM_CONNECT|NO_ENDPOINT)$/);
    }
    a = await startUpstream(aPort);
    // Panic trials find it again well before its ejection (5 s) runs out.
    await until(async () => (await get(proxy.port, '/echo')).status === 200, 10_000, 'a restarted upstream to serve');
    for (let i = 0; i < 5; i++) assert.equal((await get(proxy.port, '/echo')).status, 200);
  } finally {
    await proxy.kill();
    await a.kill();
  }
});

test('both ejected, one of them alive and the other killed: the panic trial finds the live one, no GET fails', { timeout: 60_000 }, async () => {
  const a = await startUpstream();
  const b = await startUpstream();
  const proxy = await startProxy(basicConfig([a.port, b.port], '', 'passive: { maxFails: 1, ejectBase: 30s }'));
  const stateOf = async (port: number) => (await endpointView(proxy.admin!, 'app', `127.0.0.1:${port}`)).state;
  try {
    // One 503 from each (the retry goes to the other) ejects both for 30 s while both still run.
    assert.equal((await get(proxy.port, '/status?code=503')).status, 503);
    assert.equal(await stateOf(a.port), 'ejected');
    assert.equal(await stateOf(b.port), 'ejected');
    await b.kill('SIGKILL');
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await get(proxy.port, '/echo')).status);
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(proxy.port, '/echo')));
    statuses.push(...answers.map((r) => r.status));
    assert.deepEqual(statuses.filter((s) => s !== 200), [], 'every GET answered by the live endpoint');
    assert.equal(await stateOf(a.port), 'healthy', 're-admitted by its first panic trial');
  } finally {
    await proxy.kill();
    await a.kill();
    await b.kill();
  }
});
