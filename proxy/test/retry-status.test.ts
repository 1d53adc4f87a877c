import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basicConfig, get, startProxy, startUpstream, upstreamStats } from './helpers.ts';

// retries.statuses (502/503/504 by default): every endpoint answering 503 used to end, once the retry found no
// endpoint left, in a made-up `502 upstream connect error` (PX_ERR_UPSTREAM_CONNECT, never a connect failure).
// As nginx's proxy_next_upstream, the client gets the last upstream's own answer.
test('every endpoint answers 503: the client gets that 503 (the upstream body), each endpoint asked once', { timeout: 30_000 }, async () => {
  const a = await startUpstream();
  const b = await startUpstream();
  const proxy = await startProxy(basicConfig([a.port, b.port], '', 'retries: { attempts: 3 }'));
  try {
    const r = await get(proxy.port, '/status?code=503');
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-proxy-error'], undefined);
    assert.equal(r.body, 'status 503\n');
    assert.equal((await upstreamStats(a.port)).requests + (await upstreamStats(b.port)).requests, 2);
    // One endpoint: no retry to make, its 503 relayed at once.
    const one = await startProxy(basicConfig([a.port]));
    try {
      const s = await get(one.port, '/status?code=503');
      assert.equal(s.status, 503);
      assert.equal(s.body, 'status 503\n');
    } finally {
      await one.kill();
    }
  } finally {
    await proxy.kill();
    await a.kill();
    await b.kill();
  }
});
