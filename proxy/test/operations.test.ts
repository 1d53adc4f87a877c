import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { test } from 'node:test';
import { RELOADED, RELOAD_CANCELLED, endpointView, basicConfig, get, runCli, startProxy, startUpstream, until, upstreamStats } from './helpers.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function tempConfig(yaml: string): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-cfg-'));
  const path = join(dir, 'proxy.yaml');
  writeFileSync(path, yaml);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('a bad config exits 2 with one line naming the key, the value and the source', async () => {
  const cfg = tempConfig(basicConfig([1], '', 'balance: fastest'));
  try {
    const r = await runCli(['--config', cfg.path]);
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^config: upstreams\.app\.balance .*got "fastest" \(from .*proxy\.yaml:7\)$/);
    const w = await runCli(['--config', cfg.path.replace('proxy.yaml', 'missing.yaml')]);
    assert.equal(w.code, 2);
    assert.match(w.stderr, /^config: cannot read config file .*missing\.yaml: ENOENT\n$/);
  } finally {
    cfg.cleanup();
  }
});

test('--workers is validated with the flag named as the source; routes must name an upstream', async () => {
  const cfg = tempConfig(basicConfig([1]));
  const bad = tempConfig(basicConfig([1]).replace('routes: [{ upstream: app }]', 'routes: [{ upstream: nope }]'));
  try {
    const r = await runCli(['--config', cfg.path, '--workers', 'abc']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'config: workers must be a positive integer, got "abc" (from --workers)\n');
    const b = await runCli(['--config', bad.path]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /^config: routes\.0\.upstream names no upstream \(have: app\), got "nope"/);
  } finally {
    cfg.cleanup();
    bad.cleanup();
  }
});

test('--check-config prints a summary and exits 0 without binding anything', async () => {
  const cfg = tempConfig(basicConfig([8001, 8002]));
  try {
    const r = await runCli(['--config', cfg.path, '--check-config']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^config ok: /);
    assert.match(r.stdout, /upstream app: round_robin, 127\.0\.0\.1:8001 127\.0\.0\.1:8002/);
  } finally {
    cfg.cleanup();
  }
});

for (const workers of [1, 2]) {
  test(`SIGTERM drains (workers: ${workers}): /readyz turns 503, /healthz stays 200, in-flight requests finish, exit 0`, async () => {
    const up = await startUpstream();
    const proxy = await startProxy(basicConfig([up.port], `workers: ${workers}`));
    try {
      assert.equal((await get(proxy.admin!, '/readyz')).status, 200);
      assert.equal((await get(proxy.admin!, '/healthz')).status, 200);
      // Long enough to probe the admin port during the drain; the test waits on the response, not on the time.
      const inflight = get(proxy.port, '/slow?ms=4000');
      await until(async () => (await upstreamStats(up.port)).requests === 1, 5000, 'the request to reach the upstream');
      const code = proxy.kill('SIGTERM');
      await until(async () => (await get(proxy.admin!, '/readyz')).status === 503, 5000, '/readyz to answer 503');
      const live = await get(proxy.admin!, '/healthz');
      assert.equal(live.status, 200);
      assert.equal(JSON.parse(live.body).status, 'draining');
      // Still draining: the slow request has not been answered yet.
      assert.equal(await Promise.race([inflight.then(() => 'answered'), Promise.resolve('pending')]), 'pending');
      const r = await inflight;
      assert.equal(r.status, 200);
      assert.equal(r.headers.connection, 'close');
      assert.equal(await code, 0);
    } finally {
      await proxy.kill();
      await up.kill();
    }
  });
}

test('SIGHUP re-reads the config: the old worker finishes its keep-alive connection, the next one reaches the new config; a bad file keeps the old one', async () => {
  const a = await startUpstream();
  const b = await startUpstream();
  const proxy = await startProxy(basicConfig([a.port]));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const viaAgent = () =>
    new Promise<{ port: number; status: number }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxy.port, path: '/echo', agent }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ port: JSON.parse(body).port, status: res.statusCode ?? 0 }));
      });
      req.on('error', reject);
      req.end();
    });
  try {
    assert.equal((await viaAgent()).port, a.port);
    const socketsBefore = proxy.output();
    writeFileSync(proxy.configPath, basicConfig([b.port]));
    proxy.child.kill('SIGHUP');
    await until(() => RELOADED.test(proxy.output().slice(socketsBefore.length)), 20_000, 'the reload');
    // The old worker closes the idle keep-alive connection as it drains; the agent's next request reaches the new one.
    await until(() => /exited: reload/.test(proxy.output().slice(socketsBefore.length)), 20_000, 'the old worker to leave');
    const after = await viaAgent();
    assert.equal(after.status, 200);
    assert.equal(after.port, b.port);
    writeFileSync(proxy.configPath, 'upstreams: [');
    proxy.child.kill('SIGHUP');
    await until(() => RELOAD_CANCELLED.test(proxy.output()), 10_000, 'the refused reload');
    assert.equal((await viaAgent()).port, b.port);
  } finally {
    agent.destroy();
    await proxy.kill();
    await a.kill();
    await b.kill();
  }
});

test('active health checks take a failing endpoint out and bring it back', async () => {
  const a = await startUpstream();
  const b = await startUpstream();
  const proxy = await startProxy(
    basicConfig([a.port, b.port], '', 'active: { path: /__health, interval: 100ms, timeout: 500ms, healthyThreshold: 2, unhealthyThreshold: 2 }'),
  );
  const stateOf = async (port: number) =>
    (await endpointView(proxy.admin!, 'app', `127.0.0.1:${port}`)).state;
  try {
    await get(b.port, '/__sethealth?ok=0');
    await until(async () => (await stateOf(b.port)) === 'unhealthy', 10_000, 'b to fail its checks');
    for (let i = 0; i < 6; i++) assert.equal(JSON.parse((await get(proxy.port, '/echo')).body).port, a.port);
    await get(b.port, '/__sethealth?ok=1');
    await until(async () => (await stateOf(b.port)) === 'healthy', 10_000, 'b to pass again');
    const ports = new Set<number>();
    for (let i = 0; i < 6; i++) ports.add(JSON.parse((await get(proxy.port, '/echo')).body).port);
    assert.equal(ports.size, 2);
  } finally {
    await proxy.kill();
    await a.kill();
    await b.kill();
  }
});

test('/metrics and /healthz on the admin port', async () => {
  const up = await startUpstream();
  const proxy = await startProxy(basicConfig([up.port]));
  try {
    await get(proxy.port, '/echo');
    await get(proxy.port, '/echo');
    const m = await get(proxy.admin!, '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.body, /tsgi_proxy_requests_total\{upstream="app",status="200"\} 2/);
    assert.match(m.body, /tsgi_proxy_request_duration_seconds_bucket\{le="\+Inf",upstream="app"\} 2/);
    assert.match(m.body, new RegExp(`tsgi_proxy_endpoint_healthy\\{upstream="app",endpoint="127.0.0.1:${up.port}"\\} 1`));
    assert.match(m.body, /tsgi_proxy_active_connections \d+/);
    assert.equal((await get(proxy.admin!, '/healthz')).status, 200);
    assert.equal((await get(proxy.admin!, '/readyz')).status, 200);
  } finally {
    await proxy.kill();
    await up.kill();
  }
});
