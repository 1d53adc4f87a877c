import assert from 'node:assert/strict';
import { test } from 'node:test';
import { basicConfig, get, startProxy, startUpstream, until } from './helpers.ts';

for (const workers of [1, 2]) {
  test(`workers: ${workers}: workerMemory.maxRss: proxy workers over it are replaced, then drained, with no failed request`, { timeout: 90_000 }, async (t) => {
    const up = await startUpstream();
    // 1 KiB: every worker is over it from its first heartbeat, so the arbiter keeps recycling them.
    const proxy = await startProxy(basicConfig([up.port], 'workerMemory: { maxRss: 1k, beats: 1 }'), ['--workers', String(workers)]);
    t.after(async () => {
      await proxy.kill();
      await up.kill();
    });
    let sent = 0;
    let failed = 0;
    const deadline = Date.now() + 60_000;
    while ((proxy.output().match(/exited: memory/g) ?? []).length < 2 && Date.now() < deadline) {
      const reply = await get(proxy.port, `/echo?i=${sent++}`).catch((err: Error) => ({ status: 0, body: err.message }));
      if (reply.status !== 200) failed++;
    }
    await until(() => (proxy.output().match(/exited: memory/g) ?? []).length >= 2, 1000, 'two workers recycled for memory');
    t.diagnostic(`proxy workerMemory: ${sent} requests, ${failed} failed`);
    assert.match(proxy.output(), /over its memory limit \(rss [\d.]+ MB > 0\.0 MB\) for 1 heartbeats: retiring it/);
    assert.equal(failed, 0);
  });
}
