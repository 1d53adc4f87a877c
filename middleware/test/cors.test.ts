import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { App } from '@tsgi/gateway';
import { cors } from '@tsgi/middleware';
import { bytes, request, start } from './helpers/raw-http.ts';

function counting(): { app: App; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    app: (_e, sr) => {
      calls++;
      sr('200 OK', [['Content-Type', 'text/plain'], ['X-Total', '3']]);
      return [bytes('data')];
    },
  };
}

const preflight = (origin: string, extra: Record<string, string> = {}) => ({
  method: 'OPTIONS',
  headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', ...extra },
});

describe('cors', () => {
  test("default origin '*': simple requests get ACAO *, no Vary: Origin", async (t) => {
    const { app } = counting();
    const s = await start(t, cors(app));
    const r = await request(s.port, '/', { headers: { Origin: 'https://a.example' } });
    assert.equal(r.header('access-control-allow-origin'), '*');
    assert.equal(r.header('vary'), undefined);
  });

  test('preflight is answered 204 without calling the app', async (t) => {
    const c = counting();
    const s = await start(t, cors(c.app, { origin: ['https://a.example'], maxAge: 600, credentials: true, allowedHeaders: ['Content-Type', 'X-Token'] }));
    const r = await request(s.port, '/items', preflight('https://a.example', { 'Access-Control-Request-Headers': 'x-token' }));
    assert.equal(r.status, 204);
    assert.equal(c.calls(), 0);
    assert.equal(r.header('access-control-allow-origin'), 'https://a.example');
    assert.equal(r.header('access-control-allow-methods'), 'GET, HEAD, PUT, PATCH, POST, DELETE');
    assert.equal(r.header('access-control-allow-headers'), 'Content-Type, X-Token');
    assert.equal(r.header('access-control-allow-credentials'), 'true');
    assert.equal(r.header('access-control-max-age'), '600');
    assert.equal(r.header('vary'), 'Origin');
    assert.equal(r.header('content-length'), undefined);
  });

  test('requested headers are reflected when allowedHeaders is not set', async (t) => {
    const s = await start(t, cors(counting().app, { origin: true }));
    const r = await request(s.port, '/', preflight('https://b.example', { 'Access-Control-Request-Headers': 'X-A, X-B' }));
    assert.equal(r.header('access-control-allow-headers'), 'X-A, X-B');
    assert.equal(r.header('access-control-allow-origin'), 'https://b.example');
    assert.equal(r.header('vary'), 'Origin, Access-Control-Request-Headers');
  });

  test('disallowed origins get no CORS headers (preflight and actual), but Vary: Origin', async (t) => {
    const c = counting();
    const s = await start(t, cors(c.app, { origin: /^https:\/\/[a-z]+\.good\.example$/ }));
    const pre = await request(s.port, '/', preflight('https://evil.example'));
    assert.equal(pre.status, 204);
    assert.equal(pre.header('access-control-allow-origin'), undefined);
    assert.equal(pre.header('access-control-allow-methods'), undefined);
    const actual = await request(s.port, '/', { headers: { Origin: 'https://x.good.example.evil.com' } });
    assert.equal(actual.header('access-control-allow-origin'), undefined);
    assert.equal(actual.header('vary'), 'Origin');
    const ok = await request(s.port, '/', { headers: { Origin: 'https://api.good.example' } });
    assert.equal(ok.header('access-control-allow-origin'), 'https://api.good.example');
  });

  test('origin predicate, exposed headers and credentials on actual requests', async (t) => {
    const s = await start(t, cors(counting().app, { origin: (o) => o.endsWith('.trusted.example'), exposedHeaders: ['X-Total'], credentials: true }));
    const r = await request(s.port, '/', { headers: { Origin: 'https://app.trusted.example' } });
    assert.equal(r.header('access-control-allow-origin'), 'https://app.trusted.example');
    assert.equal(r.header('access-control-expose-headers'), 'X-Total');
    assert.equal(r.header('access-control-allow-credentials'), 'true');
    assert.equal(r.body.toString(), 'data');
  });

  test('OPTIONS without Access-Control-Request-Method is not a preflight: it reaches the app', async (t) => {
    const c = counting();
    const s = await start(t, cors(c.app));
    await request(s.port, '/', { method: 'OPTIONS', headers: { Origin: 'https://a.example' } });
    assert.equal(c.calls(), 1);
  });
});
