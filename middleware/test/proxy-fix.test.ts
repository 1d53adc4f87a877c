import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
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

/** One GET from a chosen local address (127.0.0.2 is loopback on Linux but not 127.0.0.1). */
function requestFrom(localAddress: string, port: number, headers: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/p', localAddress, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>));
    });
    req.on('error', reject);
  });
}

describe('proxyFix trustedProxies', () => {
  const spoof = { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' };

  test('by default only a loopback peer (127.0.0.1, ::1) is believed: another peer keeps its own address and scheme', async (t) => {
    const s = await start(t, proxyFix(report));
    const fromProxy = await requestFrom('127.0.0.1', s.port, spoof);
    assert.equal(fromProxy.addr, '203.0.113.9');
    const direct = await requestFrom('127.0.0.2', s.port, spoof);
    assert.equal(direct.addr, '127.0.0.2');
    assert.equal(direct.scheme, 'http');
    assert.equal((direct.orig as Record<string, unknown>).REMOTE_ADDR, '127.0.0.2');
  });

  test('a CIDR list names the proxies; every X-Forwarded-* header from anyone else is ignored', async (t) => {
    const s = await start(t, proxyFix(report, { trustedProxies: ['127.0.0.2/32', '10.0.0.0/8'], xHost: 1, xPrefix: 1 }));
    const headers = { ...spoof, 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Prefix': '/evil' };
    const trusted = await requestFrom('127.0.0.2', s.port, headers);
    assert.deepEqual([trusted.addr, trusted.scheme, trusted.name, trusted.script], ['203.0.113.9', 'https', 'evil.example', '/evil']);
    const other = await requestFrom('127.0.0.1', s.port, headers);
    assert.deepEqual([other.addr, other.scheme, other.script], ['127.0.0.1', 'http', '']);
    assert.notEqual(other.name, 'evil.example');
  });

  test("'*' believes every peer (Werkzeug's behaviour)", async (t) => {
    const s = await start(t, proxyFix(report, { trustedProxies: ['*'] }));
    assert.equal((await requestFrom('127.0.0.2', s.port, spoof)).addr, '203.0.113.9');
  });

  test('a bad entry is refused at construction, naming the option and the entry', () => {
    for (const bad of [['10.0.0.0/33'], ['10.0.0.0/'], ['proxy.local'], [], '127.0.0.1', [7]]) {
      assert.throws(() => proxyFix(report, { trustedProxies: bad as string[] }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'MW_ERR_OPTION_INVALID');
        assert.match(err.message, /^proxyFix: trustedProxies must/);
        return true;
      });
    }
  });
});
