import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { App } from '@tsgi/gateway';
import { dispatcher, proxyFix, redirects } from '@tsgi/middleware';
import { bytes, header, rawExchange, request, start } from './helpers/raw-http.ts';

const app: App = (e, sr) => {
  sr('200 OK', [['Content-Type', 'text/plain']]);
  return [bytes(`app ${e.PATH_INFO}`)];
};

/** A Location stays on this host: a path that a browser cannot read as another authority. */
function assertSameHost(location: string | undefined, what: string): void {
  assert.ok(location !== undefined, `${what}: no Location`);
  assert.ok(location.startsWith('/'), `${what}: ${location}`);
  assert.ok(!/^\/[/\\]/.test(location), `${what}: network-path Location ${location}`);
  const resolved = new URL(location, 'http://127.0.0.1/');
  assert.equal(resolved.host, '127.0.0.1', `${what}: ${location} resolves off-site`);
}

describe('redirects: https', () => {
  test('http → https on the same host; GET gets 301, POST 308; the query is kept', async (t) => {
    const s = await start(t, redirects(app, { https: true }));
    const r = await request(s.port, '/a/b?x=1&y=2', { headers: { Host: 'shop.example:8080' } });
    assert.equal(r.status, 301);
    assert.equal(r.header('location'), 'https://shop.example/a/b?x=1&y=2');
    const p = await request(s.port, '/form', { method: 'POST', body: 'x', headers: { Host: 'shop.example' } });
    assert.equal(p.status, 308);
  });

  test('the scheme comes only from what proxyFix established', async (t) => {
    const s = await start(t, proxyFix(redirects(app, { https: true })));
    const viaProxy = await request(s.port, '/x', { headers: { 'X-Forwarded-Proto': 'https' } });
    assert.equal(viaProxy.status, 200);
    const spoofNoProxy = await start(t, redirects(app, { https: true }));
    const r = await request(spoofNoProxy.port, '/x', { headers: { 'X-Forwarded-Proto': 'https' } });
    assert.equal(r.status, 301, 'a client-sent X-Forwarded-Proto alone is not believed');
  });

  test('canonical host, port, status and excluded paths', async (t) => {
    const s = await start(t, redirects(app, { https: { host: 'www.example.com', port: 8443, status: 307, exclude: ['/healthz'] } }));
    const r = await request(s.port, '/p', { headers: { Host: 'evil.example' } });
    assert.equal(r.status, 307);
    assert.equal(r.header('location'), 'https://www.example.com:8443/p');
    assert.equal((await request(s.port, '/healthz')).status, 200);
  });

  test('a malformed Host header gets 400, never a redirect to it', async (t) => {
    const s = await start(t, redirects(app, { https: true }));
    for (const host of ['evil.com/x', 'a@evil.com', 'evil.com\\@good', 'ev il.com']) {
      const [r] = (await rawExchange(s.port, `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)).responses;
      assert.equal(r?.status, 400, host);
      assert.equal(header(r!, 'location'), undefined, host);
    }
  });
});

describe('redirects: map', () => {
  test('exact entries, prefix entries (longest first) and per-entry status', async (t) => {
    const s = await start(t, redirects(app, {
      map: {
        '/old': '/new',
        '/blog': { to: '/articles', prefix: true },
        '/blog/2019': { to: '/archive/2019', prefix: true, status: 302 },
        '/gone': { to: '/here', status: 308, preserveQuery: false },
        '/partner': 'https://partner.example/landing',
      },
    }));
    const cases: Array<[string, number, string]> = [
      ['/old', 301, '/new'],
      ['/old?q=1', 301, '/new?q=1'],
      ['/blog', 301, '/articles'],
      ['/blog/post-1', 301, '/articles/post-1'],
      ['/blog/2019/x', 302, '/archive/2019/x'],
      ['/gone?q=1', 308, '/here'],
      ['/partner', 301, 'https://partner.example/landing'],
    ];
    for (const [path, status, location] of cases) {
      const r = await request(s.port, path);
      assert.equal(r.status, status, path);
      assert.equal(r.header('location'), location, path);
    }
    assert.equal((await request(s.port, '/blogger')).status, 200, 'prefix matches on segment boundaries');
    assert.equal((await request(s.port, '/old/x')).status, 200, 'exact entries do not match below');
  });

  test('local targets are relative to SCRIPT_NAME when mounted', async (t) => {
    const s = await start(t, dispatcher({ '/shop': redirects(app, { map: { '/old': '/new' } }) }));
    assert.equal((await request(s.port, '/shop/old')).header('location'), '/shop/new');
  });

  test('unsafe map targets are refused at construction', () => {
    for (const to of ['//evil.com', '/\\evil.com', 'evil.com', 'javascript:alert(1)', 'https:/\\evil.com', '']) {
      assert.throws(() => redirects(app, { map: { '/x': to } }), { code: 'MW_ERR_REDIRECT_TARGET' }, to);
    }
  });
});

describe('redirects: trailing slash', () => {
  test("'add' appends a slash (308) except to file-like paths", async (t) => {
    const s = await start(t, redirects(app, { trailingSlash: 'add' }));
    const r = await request(s.port, '/hello?x=1');
    assert.equal(r.status, 308);
    assert.equal(r.header('location'), '/hello/?x=1');
    assert.equal((await request(s.port, '/hello/')).status, 200);
    assert.equal((await request(s.port, '/style.css')).status, 200);
  });

  test("'remove' strips it, never for /", async (t) => {
    const s = await start(t, redirects(app, { trailingSlash: 'remove', trailingSlashStatus: 301 }));
    const r = await request(s.port, '/hello/');
    assert.equal(r.status, 301);
    assert.equal(r.header('location'), '/hello');
    assert.equal((await request(s.port, '/')).status, 200);
  });
});

describe('redirects: no open redirect', () => {
  const hostile = [
    '//evil.com',
    '//evil.com/',
    '///evil.com',
    '/\\evil.com',
    '/%5Cevil.com',
    '/%2F%2Fevil.com',
    '/%2f/evil.com',
    '/%09/evil.com',
    '/%2Fevil.com%2F',
    '/.//evil.com',
    '//evil.com/%2e%2e',
    '/\\/evil.com/',
    '//evil.com?x=//evil.com',
    // Without a dot the last segment is not file-like, so 'add' redirects these.
    '//evil',
    '///evil',
    '/\\evil',
    '/%5Cevil',
    '/%2F%2Fevil',
    '/%5C%5Cevil',
    '//evil/x',
  ];

  for (const mode of ['add', 'remove'] as const) {
    test(`trailing-slash '${mode}' keeps every Location on this host`, async (t) => {
      const s = await start(t, redirects(app, { trailingSlash: mode }));
      let redirected = 0;
      for (const target of hostile) {
        const probe = mode === 'remove' ? `${target.split('?')[0]}/` : target;
        const r = (await rawExchange(s.port, `GET ${probe} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)).responses[0]!;
        if (r.status >= 300 && r.status < 400) {
          redirected++;
          assertSameHost(header(r, 'location'), probe);
        }
      }
      assert.ok(redirected >= 7, `only ${redirected} probes were redirected`);
    });
  }

  test('prefix map entries keep hostile remainders on this host', async (t) => {
    const s = await start(t, redirects(app, { map: { '/go': { to: '/', prefix: true } } }));
    let redirected = 0;
    for (const target of hostile) {
      const probe = `/go${target}`;
      const r = (await rawExchange(s.port, `GET ${probe} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)).responses[0]!;
      assert.ok(r.status === 301 || r.status === 400, `${probe}: ${r.status}`);
      if (r.status === 301) {
        redirected++;
        assertSameHost(header(r, 'location'), probe);
      }
    }
    assert.ok(redirected >= hostile.length - 3, `only ${redirected} probes were redirected`);
  });

  test('the https redirect keeps hostile paths under this host', async (t) => {
    const s = await start(t, redirects(app, { https: true }));
    for (const target of hostile) {
      const r = (await rawExchange(s.port, `GET ${target} HTTP/1.1\r\nHost: good.example\r\nConnection: close\r\n\r\n`)).responses[0]!;
      if (r.status === 400) continue;
      assert.equal(r.status, 301, target);
      const loc = new URL(header(r, 'location')!);
      assert.equal(loc.host, 'good.example', `${target} → ${header(r, 'location')}`);
    }
  });
});
