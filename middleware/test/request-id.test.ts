import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { App, ResponseHeaders } from '@tsgi/gateway';
import { requestId, REQUEST_ID_KEY } from '@tsgi/middleware';
import { bytes, checked, request, start } from './helpers/raw-http.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function echoApp(extra: ResponseHeaders = []): App {
  return (environ, sr) => {
    sr('200 OK', [['Content-Type', 'text/plain'], ...extra]);
    return [bytes(String(environ[REQUEST_ID_KEY]))];
  };
}

describe('requestId', () => {
  test('generates a UUID, exposes it in environ and echoes it', async (t) => {
    const s = await start(t, requestId(checked(echoApp(), [])));
    const a = await request(s.port, '/');
    const b = await request(s.port, '/');
    assert.match(a.body.toString(), UUID);
    assert.equal(a.header('x-request-id'), a.body.toString());
    assert.notEqual(a.body.toString(), b.body.toString());
  });

  test('keeps a valid incoming id', async (t) => {
    const s = await start(t, requestId(echoApp()));
    const r = await request(s.port, '/', { headers: { 'X-Request-Id': 'edge-7f3a:01/abc=' } });
    assert.equal(r.body.toString(), 'edge-7f3a:01/abc=');
    assert.equal(r.header('x-request-id'), 'edge-7f3a:01/abc=');
  });

  test('replaces invalid, over-long or untrusted incoming ids', async (t) => {
    const s = await start(t, requestId(echoApp(), { maxLength: 16 }));
    for (const bad of ['has space', '<script>', 'a'.repeat(17), 'semi;colon', 'quote"']) {
      const r = await request(s.port, '/', { headers: { 'X-Request-Id': bad } });
      assert.match(r.body.toString(), UUID, bad);
    }
    const untrusting = await start(t, requestId(echoApp(), { trustIncoming: false }));
    assert.match((await request(untrusting.port, '/', { headers: { 'X-Request-Id': 'abc' } })).body.toString(), UUID);
  });

  test('custom generator and header name; an id the app set itself is left alone', async (t) => {
    let n = 0;
    const s = await start(t, requestId(echoApp(), { header: 'X-Trace', generator: () => `req-${++n}` }));
    const r = await request(s.port, '/');
    assert.equal(r.header('x-trace'), 'req-1');
    assert.equal(r.header('x-request-id'), undefined);
    const own = await start(t, requestId(echoApp([['X-Request-Id', 'app-chosen']])));
    assert.deepEqual((await request(own.port, '/')).headers.get('x-request-id'), ['app-chosen']);
  });

  test('a generator returning an unsafe id is a 500, never a header injection', async (t) => {
    const s = await start(t, requestId(echoApp(), { generator: () => 'a\r\nSet-Cookie: x=1' }));
    const r = await request(s.port, '/');
    assert.equal(r.status, 500);
    assert.equal(r.header('set-cookie'), undefined);
  });
});
