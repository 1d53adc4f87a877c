import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../src/config/config.js';
import { configErrorOf as errorOf } from './helpers.ts';

describe('edge config keys', () => {
  test('a full edge config validates, with defaults filled in', () => {
    const c = validateConfig(
      {
        listeners: [{ address: '127.0.0.1:0', tls: { certs: [{ cert: '/c.pem', key: '/k.pem', serverNames: ['*.example.com'] }] }, proxyProtocol: true }],
        upstreams: { app: { servers: ['unix:/run/app.sock', { address: 'unix:/run/b.sock', weight: 2 }], proxyProtocol: 'v2' } },
        limitReq: { perip: { rate: '30r/m', burst: 5 } },
        limitConn: { conns: { key: 'header:X-Api-Key', max: 10 } },
        routes: [{ path: '/api', upstream: 'app', access: [{ allow: '10.0.0.0/8' }, { deny: 'all' }], limitReq: ['perip'], limitConn: ['conns'], maxBodyBytes: '1m' }],
        trace: { enabled: false },
      },
      'proxy.yaml',
    );
    const l = c.listeners[0];
    assert.equal(l?.tls?.minVersion, 'TLSv1.2');
    assert.equal(l?.tls?.http2, true);
    assert.equal(l?.proxyProtocolTimeout, 5000);
    assert.equal(c.limitReq.perip?.rate, 0.5);
    assert.equal(c.limitReq.perip?.status, 429);
    assert.equal(c.limitReq.perip?.nodelay, false);
    assert.equal(c.limitConn.conns?.key, 'header:x-api-key');
    assert.equal(c.routes[0]?.maxBodyBytes, 1024 * 1024);
    assert.equal(c.upstreams.app?.servers[0]?.address, 'unix:/run/app.sock');
    assert.equal(c.trace.enabled, false);
  });

  test('bad values name the key, the value and the file on one line', () => {
    assert.equal(errorOf({ limitReq: { z: { rate: 'fast' } } }), 'config: limitReq.z.rate must be a rate such as 10r/s or 30r/m, got "fast" (from proxy.yaml)');
    assert.match(errorOf({ routes: [{ upstream: 'app', limitReq: ['nope'] }] }), /^config: routes\.0\.limitReq\.0 names no limitReq zone \(have: none\), got "nope" \(from proxy\.yaml\)$/);
    assert.match(errorOf({ routes: [{ upstream: 'app', access: [{ allow: '10.0.0.0/33' }] }] }), /^config: routes\.0\.access\.0/);
    assert.match(errorOf({ listeners: [{ address: '127.0.0.1:0', tls: { certs: [] } }] }), /^config: listeners\.0\.tls\.certs /);
    assert.match(errorOf({ listeners: [{ address: '127.0.0.1:0', tls: { certs: [{ cert: 'a' }] } }] }), /^config: listeners\.0\.tls\.certs\.0\.key /);
    assert.match(errorOf({ listeners: [{ address: '127.0.0.1:0', tls: { certs: [{ cert: 'a', key: 'b' }], minVersion: 'TLSv1.1' } }] }), /^config: listeners\.0\.tls\.minVersion .*got "TLSv1\.1"/);
    assert.match(errorOf({ listeners: [{ address: 'unix:/tmp/x.sock' }] }), /^config: listeners\.0\.address must be host:port/);
    assert.match(errorOf({ upstreams: { app: { servers: ['unix:'] } } }), /^config: upstreams\.app\.servers\.0 /);
    assert.match(errorOf({ upstreams: { app: { servers: [`unix:/${'x'.repeat(200)}`] } } }), /^config: upstreams\.app\.servers\.0 /);
    assert.match(errorOf({ limitConn: { c: { max: 0 } } }), /^config: limitConn\.c\.max /);
    assert.match(errorOf({ limitReq: { z: { rate: '1r/s', key: 'cookie:x' } } }), /^config: limitReq\.z\.key must be ip, route or header:<name>/);
  });
});

describe('tsgi-proxy --check-config with TLS', () => {
  test('an unreadable certificate is a one-line config error, exit 2', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-edge-cfg-'));
    try {
      const file = join(dir, 'p.yaml');
      writeFileSync(file, `listeners: [{ address: "127.0.0.1:0", tls: { certs: [{ cert: ${dir}/missing.pem, key: ${dir}/missing.key }] } }]\nupstreams: { a: { servers: ["127.0.0.1:1"] } }\nroutes: [{ upstream: a }]\n`);
      const cli = fileURLToPath(new URL('../src/process/cli.ts', import.meta.url));
      const r = spawnSync(process.execPath, ['--conditions=@tsgi/source', '--import', 'tsx', cli, '--config', file, '--check-config'], { encoding: 'utf8' });
      assert.equal(r.status, 2);
      assert.equal(r.stderr.trim(), `config: listeners.0.tls cannot read certificate ${dir}/missing.pem: ENOENT (from ${file})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
