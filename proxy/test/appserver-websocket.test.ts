import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { appserverMissing, basicConfig, get, root, spawnReady, startProxy, until } from './helpers.ts';

const missing = appserverMissing();
const PROMTOOL = '/usr/bin/promtool';

/** A tsgi-appserver running the appserver's ws + Express fixture, with its metrics port. */
async function startWsAppserver(): Promise<{ port: number; metrics: number; kill(sig?: NodeJS.Signals): Promise<number | null>; pid: number }> {
  const app = join(root, 'appserver/test/fixtures/ws-express-app.mjs') + ':app';
  const p = await spawnReady(
    ['--conditions=@tsgi/source', '--import', 'tsx', join(root, 'appserver/src/cli.ts'), '-b', '127.0.0.1:0', '--metrics-bind', '127.0.0.1:0', '-w', '2', '--graceful-timeout', '2', '--log-level', 'warning', app],
    (out) => {
      const listen = /Ready: \d+ worker/.test(out) ? /Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(out) : null;
      const metrics = /Metrics at: http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      return listen && metrics ? { port: Number(listen[1]), metrics: Number(metrics[1]) } : undefined;
    },
    60_000,
  );
  return { ...p.value, kill: p.kill, pid: p.child.pid! };
}

test('WebSocket through tsgi-proxy to a tsgi-appserver hosting ws: echo works, the appserver counts it as an upgraded connection, a HUP of the appserver closes it with 1001', { skip: missing ?? false, timeout: 90_000 }, async () => {
  const app = await startWsAppserver();
  const proxy = await startProxy(basicConfig([app.port]));
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws`);
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(String(m)));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send('via proxy');
    await until(() => messages.includes('echo via proxy'), 5000, 'the echo through the proxy');
    const metrics = (await get(app.metrics, '/metrics')).body;
    assert.match(metrics, /^tsgi_upgraded_connections 1$/m);
    process.kill(app.pid, 'SIGHUP');
    assert.equal(await closed, 1001, 'the drain ends the tunnelled WebSocket with 1001');
  } finally {
    await proxy.kill();
    await app.kill('SIGINT');
  }
});

test('promtool check metrics accepts the proxy\'s /metrics (and the appserver\'s behind it)', { skip: missing ?? false, timeout: 90_000 }, async (t) => {
  if (!existsSync(PROMTOOL)) {
    t.skip('promtool is not installed (Debian package prometheus; .ci/run installs it)');
    return;
  }
  const app = await startWsAppserver();
  const proxy = await startProxy(basicConfig([app.port]), ['--workers', '2']);
  try {
    for (let i = 0; i < 5; i++) assert.equal((await get(proxy.port, '/')).status, 200);
    const proxyText = (await get(proxy.admin!, '/metrics')).body;
    // Per-process gauges are one sample per proxy worker, not a sum; the start time is kept.
    assert.equal([...proxyText.matchAll(/^process_start_time_seconds\{pid="\d+"\} \d+/gm)].length, 2, proxyText.slice(0, 500));
    assert.equal([...proxyText.matchAll(/^process_max_fds\{pid="\d+"\} \d+/gm)].length, 2);
    for (const port of [proxy.admin!, app.metrics]) {
      const text = (await get(port, '/metrics')).body;
      const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      assert.equal(r.status, 0, `promtool on :${port}: ${r.stdout}${r.stderr}`);
    }
  } finally {
    await proxy.kill();
    await app.kill('SIGINT');
  }
});
