import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { App, ResponseHeaders } from '@tsgi/gateway';
import { proxyFix, securityHeaders, type SecurityHeadersOptions } from '@tsgi/middleware';
import { bytes, request, start } from './helpers/raw-http.ts';

function app(headers: ResponseHeaders = [['Content-Type', 'text/html']]): App {
  return (_e, sr) => {
    sr('200 OK', headers);
    return [bytes('<p>hi</p>')];
  };
}

describe('securityHeaders', () => {
  test('defaults: the helmet set, no HSTS over http', async (t) => {
    const s = await start(t, securityHeaders(app()));
    const r = await request(s.port, '/');
    assert.equal(r.header('x-content-type-options'), 'nosniff');
    assert.equal(r.header('x-frame-options'), 'SAMEORIGIN');
    assert.equal(r.header('referrer-policy'), 'no-referrer');
    assert.equal(r.header('cross-origin-opener-policy'), 'same-origin');
    assert.equal(r.header('cross-origin-resource-policy'), 'same-origin');
    assert.match(r.header('content-security-policy')!, /default-src 'self'.*frame-ancestors 'self'.*object-src 'none'/);
    assert.equal(r.header('strict-transport-security'), undefined);
  });

  test('HSTS on https (scheme from a trusted proxy via proxyFix), with its options', async (t) => {
    const s = await start(t, proxyFix(securityHeaders(app(), { hsts: { maxAge: 600, preload: true } })));
    const r = await request(s.port, '/', { headers: { 'X-Forwarded-Proto': 'https' } });
    assert.equal(r.header('strict-transport-security'), 'max-age=600; includeSubDomains; preload');
    const plain = await request(s.port, '/');
    assert.equal(plain.header('strict-transport-security'), undefined);
    const always = await start(t, securityHeaders(app(), { hsts: { includeSubDomains: false, httpsOnly: false } }));
    assert.equal((await request(always.port, '/')).header('strict-transport-security'), 'max-age=31536000');
  });

  test('CSP from a string or a directive map; report-only; disabled', async (t) => {
    const a = await start(t, securityHeaders(app(), { contentSecurityPolicy: "default-src 'none'" }));
    assert.equal((await request(a.port, '/')).header('content-security-policy'), "default-src 'none'");
    const b = await start(t, securityHeaders(app(), {
      contentSecurityPolicy: { defaultSrc: ["'self'"], 'img-src': ['data:', 'https:'], upgradeInsecureRequests: true, frameAncestors: ["'none'"] },
      cspReportOnly: true,
    }));
    const r = await request(b.port, '/');
    assert.equal(r.header('content-security-policy-report-only'), "default-src 'self'; img-src data: https:; upgrade-insecure-requests; frame-ancestors 'none'");
    assert.equal(r.header('content-security-policy'), undefined);
    const c = await start(t, securityHeaders(app(), { contentSecurityPolicy: false, frameOptions: false, noSniff: false, referrerPolicy: false }));
    const rc = await request(c.port, '/');
    for (const h of ['content-security-policy', 'x-frame-options', 'x-content-type-options', 'referrer-policy']) assert.equal(rc.header(h), undefined, h);
  });

  test('each header is configurable', async (t) => {
    const opts: SecurityHeadersOptions = {
      frameOptions: 'DENY',
      referrerPolicy: ['no-referrer', 'strict-origin-when-cross-origin'],
      crossOriginOpenerPolicy: 'same-origin-allow-popups',
      crossOriginResourcePolicy: 'cross-origin',
      crossOriginEmbedderPolicy: 'require-corp',
      permissionsPolicy: { camera: [], geolocation: ['self'] },
    };
    const s = await start(t, securityHeaders(app(), opts));
    const r = await request(s.port, '/');
    assert.equal(r.header('x-frame-options'), 'DENY');
    assert.equal(r.header('referrer-policy'), 'no-referrer, strict-origin-when-cross-origin');
    assert.equal(r.header('cross-origin-opener-policy'), 'same-origin-allow-popups');
    assert.equal(r.header('cross-origin-resource-policy'), 'cross-origin');
    assert.equal(r.header('cross-origin-embedder-policy'), 'require-corp');
    assert.equal(r.header('permissions-policy'), 'camera=(), geolocation=(self)');
  });

  test("never duplicates a header the app set, unless told to override it", async (t) => {
    const own: ResponseHeaders = [['Content-Type', 'text/html'], ['x-frame-options', 'DENY'], ['Content-Security-Policy', "default-src 'none'"]];
    const keep = await start(t, securityHeaders(app(own)));
    const r = await request(keep.port, '/');
    assert.deepEqual(r.headers.get('x-frame-options'), ['DENY']);
    assert.deepEqual(r.headers.get('content-security-policy'), ["default-src 'none'"]);
    const over = await start(t, securityHeaders(app(own), { override: ['X-Frame-Options'] }));
    const r2 = await request(over.port, '/');
    assert.deepEqual(r2.headers.get('x-frame-options'), ['SAMEORIGIN']);
    assert.deepEqual(r2.headers.get('content-security-policy'), ["default-src 'none'"]);
  });

  test('a constant header array shared by the app is never mutated', async (t) => {
    const shared: ResponseHeaders = [['Content-Type', 'text/plain']];
    const s = await start(t, securityHeaders(app(shared)));
    await request(s.port, '/');
    await request(s.port, '/');
    assert.deepEqual(shared, [['Content-Type', 'text/plain']]);
  });
});
