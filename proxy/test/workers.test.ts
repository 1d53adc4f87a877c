import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { test } from 'node:test';
import { adminJson, basicConfig, get, startProxy, startUpstream, until, getStatus } from './helpers.ts';

for (const workers of [1, 2]) {
  test(`--workers ${workers} runs under the arbiter: traffic served, metrics summed over workers, HUP and TERM handled`, { timeout: 90_000 }, async () => {
    const up = await startUpstream();
    const proxy = await startProxy(basicConfig([up.port]), ['--workers', String(workers)]);
    try {
      for (let i = 0; i < 10; i++) assert.equal((await get(proxy.port, '/echo')).status, 200);
      const view = await adminJson(proxy.admin!);
      assert.equal(view.workers.length, workers);
      const pids = new Set(view.workers.map((w: { pid: number }) => w.pid));
      assert.equal(pids.size, workers);
      assert.ok(!pids.has(proxy.child.pid ?? 0), 'the workers are not the master');
      const metrics = (await get(proxy.admin!, '/metrics')).body;
      assert.match(metrics, /tsgi_proxy_requests_total\{upstream="app",status="200"\} 10/);

      // HUP under a GET loop: the arbiter replaces every worker, no request fails.
      const agent = new Agent({ keepAlive: true, maxSockets: 2 });
      let failed = 0;
      let sent = 0;
      let stop = false;
      const loop = (async () => {
        const deadline = Date.now() + 30_000;
        while (!stop && sent < 5000 && Date.now() < deadline) {
          sent++;
          if ((await getStatus(proxy.port, '/echo', agent)) !== 200) failed++;
        }
      })();
      proxy.child.kill('SIGHUP');
      await until(async () => {
        const w = await adminJson(proxy.admin!);
        return w.workers.length === workers && w.workers.every((x: { pid: number }) => !pids.has(x.pid));
      }, 30_000, 'a new generation of workers');
      const before = sent;
      await until(() => sent > before + 20, 10_000, 'traffic on the new generation');
      stop = true;
      await loop;
      agent.destroy();
      assert.equal(failed, 0, `${failed} of ${sent} failed across the reload`);
      assert.equal(await proxy.kill('SIGTERM'), 0);
    } finally {
      await proxy.kill();
      await up.kill();
    }
  });
}
