import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { App } from '@tsgi/gateway';
import { proxyFix, PROXY_FIX_ORIG_KEY, type ProxyFixOptions } from '@tsgi/middleware';
import { bytes, checked, rawExchange, request, start } from './helpers/raw-http.ts';

const report: App = (e, sr) => {
  sr('200 OK', [['Content-Type', 'application/json']]);
  const orig = e[PROXY_FIX_ORIG_KEY] as Record<string, unknown>;
  return [bytes(JSON.stringify({
    addr: e.REMOTE_ADDR,
    scheme: e['tsgi.url_scheme'],
    host: e.HTTP_HOST,
    name: e.SERVER_NAME,
    port: e.SERVER_PORT,
    script: e.SCRIPT_NAME,
    path: e.PATH_INFO,
    orig,
  }))];
};

async function seen(t: TestContext, options: ProxyFixOptions, headers: Record<string, string>) {
  const violations: string[] = [];
  const s = await start(t, proxyFix(checked(report, violations), options));
  const r = await request(s.port, '/p', { headers });
  assert.deepEqual(violations, []);
  return JSON.parse(r.body.toString());
}

describe('proxyFix', () => {
  test('one trusted hop: the rightmost X-Forwarded-For and -Proto are believed', async (t) => {
    const v = await seen(t, {}, { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' });
    assert.equal(v.addr, '203.0.113.9');
    assert.equal(v.scheme, 'https');
    assert.equal(v.orig.REMOTE_ADDR, '127.0.0.1');
    assert.equal(v.orig['tsgi.url_scheme'], 'http');
  });

  test('spoofed extra hops are ignored: the Nth value from the right is taken', async (t) => {
    // The client sent "6.6.6.6" itself; our one proxy appended the real address.
    const one = await seen(t, { xFor: 1 }, { 'X-Forwarded-For': '6.6.6.6, 198.51.100.7' });
    assert.equal(one.addr, '198.51.100.7');
    const two = await seen(t, { xFor: 2 }, { 'X-Forwarded-For': '6.6.6.6, 198.51.100.7, 10.0.0.2' });
    assert.equal(two.addr, '198.51.100.7');
  });

  test('fewer values than trusted hops: the header is not believed', async (t) => {
    const v = await seen(t, { xFor: 2 }, { 'X-Forwarded-For': '6.6.6.6' });
    assert.equal(v.addr, '127.0.0.1');
  });

  test('repeated X-Forwarded-For fields count as one list', async (t) => {
    const violations: string[] = [];
    const s = await start(t, proxyFix(checked(report, violations)));
    const out = await rawExchange(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 192.0.2.1\r\nConnection: close\r\n\r\n');
    assert.equal(JSON.parse(out.responses[0]!.body.toString()).addr, '192.0.2.1');
  });

  test('garbage values are ignored (not an IP, unknown scheme, bad host, bad port)', async (t) => {
    const v = await seen(t, { xHost: 1, xPort: 1 }, {
      'X-Forwarded-For': 'not-an-ip',
      'X-Forwarded-Proto': 'javascript',
      'X-Forwarded-Host': 'evil.com/path',
      'X-Forwarded-Port': '99999',
    });
    assert.equal(v.addr, '127.0.0.1');
    assert.equal(v.scheme, 'http');
    assert.match(v.host, /^127\.0\.0\.1:\d+$/);
  });

  test('addresses with ports and IPv6 forms are accepted', async (t) => {
    assert.equal((await seen(t, {}, { 'X-Forwarded-For': '203.0.113.9:4711' })).addr, '203.0.113.9');
    assert.equal((await seen(t, {}, { 'X-Forwarded-For': '[2001:db8::1]:4711' })).addr, '2001:db8::1');
    assert.equal((await seen(t, {}, { 'X-Forwarded-For': '2001:db8::2' })).addr, '2001:db8::2');
  });

  test('host, port and prefix when trusted (Werkzeug names accepted)', async (t) => {
    const v = await seen(t, { x_host: 1, x_port: 1, x_prefix: 1 }, {
      'X-Forwarded-Host': 'shop.example',
      'X-Forwarded-Port': '8443',
      'X-Forwarded-Prefix': '/shop/',
    });
    assert.equal(v.host, 'shop.example:8443');
    assert.equal(v.name, 'shop.example');
    assert.equal(v.port, '8443');
    assert.equal(v.script, '/shop');
    assert.equal(v.path, '/p');
    assert.equal(v.orig.SCRIPT_NAME, '');
  });

  test('untrusted headers (hop count 0, the default for host/port/prefix) change nothing', async (t) => {
    const v = await seen(t, { xFor: 0, xProto: 0 }, {
      'X-Forwarded-For': '203.0.113.9',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'evil.example',
      'X-Forwarded-Prefix': '/evil',
    });
    assert.equal(v.addr, '127.0.0.1');
    assert.equal(v.scheme, 'http');
    assert.notEqual(v.host, 'evil.example');
    assert.equal(v.script, '');
  });

  test('a prefix that would start a network-path reference is refused', async (t) => {
    const v = await seen(t, { xPrefix: 1 }, { 'X-Forwarded-Prefix': '//evil.com' });
    assert.equal(v.script, '');
  });
});
