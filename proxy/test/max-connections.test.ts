import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { RawConnection } from '@tsgi/test-support';
import { validateConfig } from '../src/config/config.ts';
import { ConfigError } from '../src/errors.ts';
import { basicConfig, get, raw, startProxy, startUpstream, until, type Proc, type ProxyProc } from './helpers.ts';

const CAP = 5;
let upstream: Proc & { port: number };
let proxy: ProxyProc;

before(async () => {
  upstream = await startUpstream();
  proxy = await startProxy(basicConfig([upstream.port], `limits: { maxConnections: ${CAP} }\nlogLevel: info`));
});

after(async () => {
  await proxy?.kill();
  await upstream?.kill();
});

/** Opens a connection that sends nothing; resolves once connected. */
function idleConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** Whether the proxy closes a fresh connection within `ms` without sending a byte. */
async function closedUnanswered(port: number, ms = 3000): Promise<boolean> {
  const conn = await RawConnection.open(port, '127.0.0.1', ms).catch(() => null);
  if (conn === null) return true; // refused: closed, and nothing was sent
  try {
    const { bytes, closed } = await conn.readUntilClosed();
    return closed && bytes.length === 0;
  } finally {
    conn.destroy();
  }
}

const capLines = (): string[] => proxy.output().split('\n').filter((l) => l.includes('limits.maxConnections are not enough'));

test('over limits.maxConnections a new connection is closed at accept, with one log line per burst, and served again once one closes', async () => {
  const held = await Promise.all(Array.from({ length: CAP }, () => idleConnection(proxy.port)));
  try {
    for (let i = 0; i < 20; i++) assert.equal(await closedUnanswered(proxy.port), true, `connection ${CAP + 1 + i} closed unanswered`);
    await until(() => capLines().length > 0, 5000, 'the cap logged');
    const lines = capLines();
    assert.equal(lines.length, 1, 'twenty refusals in a burst: one line (rate-limited)');
    const rec = JSON.parse(lines[0]!) as { open: number; maxConnections: number; refused: number; level: number };
    assert.deepEqual([rec.open, rec.maxConnections, rec.refused], [CAP, CAP, 1]);
    const metrics = await get(proxy.admin!, '/metrics');
    assert.match(metrics.body, /^tsgi_proxy_connections_refused_total 20$/m);
  } finally {
    for (const s of held) s.destroy();
  }
  // The held ones are gone: the worker serves again.
  await until(async () => /^HTTP\/1\.1 200 /.test(await raw(proxy.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')), 5000, 'served again');
});

test('limits.maxConnections defaults to 1024 and must be a positive integer', () => {
  const base = { listeners: [{ address: '127.0.0.1:0' }], upstreams: { app: { servers: ['127.0.0.1:1'] } }, routes: [{ upstream: 'app' }] };
  assert.equal(validateConfig(base, 'proxy.yaml').limits.maxConnections, 1024);
  for (const bad of [0, -1, 1.5, 'many']) {
    assert.throws(
      () => validateConfig({ ...base, limits: { maxConnections: bad } }, 'proxy.yaml'),
      (err: unknown) => err instanceof ConfigError && new RegExp(`^config: limits\\.maxConnections .*got ${JSON.stringify(JSON.stringify(bad)).slice(1, -1).replace(/[.]/g, '\\.')} \\(from proxy\\.yaml\\)$`).test(err.message),
      String(bad),
    );
  }
});
