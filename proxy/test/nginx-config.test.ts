import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '@tsgi/test-support';
import { renderNginxConfig } from '../../nginx/render.mjs';
import { appserverMissing, get, raw, startAppserver, until, getStatus } from './helpers.ts';

const nginxMissing = spawnSync('nginx', ['-v']).error ? 'nginx is not installed (Debian package: nginx)' : null;
const skip = nginxMissing ?? appserverMissing() ?? false;

async function connectable(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
    s.on('error', () => r(false));
  });
}

test('bundled nginx config: proxies to two appservers, fails over a killed one, enforces limits, serves stub_status', { skip, timeout: 120_000 }, async () => {
  const a = await startAppserver();
  const b = await startAppserver();
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-nginx-'));
  const port = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), renderNginxConfig({ listen: `127.0.0.1:${port}`, upstreams: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`], maxBody: '1k', workers: 1 }));
  const check = spawnSync('nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  const nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    await until(() => connectable(port), 10_000, 'nginx to listen');
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await get(port, '/');
      assert.equal(r.status, 200);
      served.add(String(r.headers['x-served-by']));
    }
    assert.equal(served.size, 2, 'round robin over both appservers');

    // Limits: a body over client_max_body_size, a request line over the buffers.
    assert.equal((await get(port, '/', { 'content-type': 'text/plain' }, 'POST', 'x'.repeat(4096))).status, 413);
    assert.match(await raw(port, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), /^HTTP\/1\.1 414 /);

    assert.match((await get(port, '/nginx_status')).body, /^Active connections: \d+/);

    // Failover: kill -9 one appserver; idempotent GETs go to the other (proxy_next_upstream).
    await b.kill('SIGKILL');
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      if ((await getStatus(port, '/', agent)) !== 200) failed++;
    }
    assert.equal(failed, 0);
  } finally {
    agent.destroy();
    nginx.kill('SIGQUIT');
    await new Promise((r) => (nginx.exitCode !== null ? r(null) : nginx.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
    await a.kill();
    await b.kill();
  }
});
