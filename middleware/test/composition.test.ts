import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { App } from '@tsgi/gateway';
import {
  compression, cors, dispatcher, proxyFix, redirects, requestId, REQUEST_ID_KEY, securityHeaders, staticFiles,
} from '@tsgi/middleware';
import { makeSite, type SiteFixture } from './helpers/fixtures.ts';
import { bytes, checked, deferred, request, start, RawConnection } from './helpers/raw-http.ts';

let site: SiteFixture;
before(() => {
  site = makeSite();
});
after(() => site.cleanup());

/**
 * The whole set stacked as a deployment would, validated on both sides: the
 * outer validator checks what the stack sends to the server, the inner one
 * what the stack hands to the app.
 */
function stack(inner: App, violations: string[]): App {
  return proxyFix(
    requestId(
      redirects(
        securityHeaders(
          cors(
            compression(staticFiles(checked(inner, violations), { root: site.root, prefix: '/static', precompressed: true })),
            { origin: ['https://a.example'] },
          ),
        ),
        { map: { '/old': '/new' } },
      ),
    ),
    { xFor: 1, xProto: 1 },
  );
}

describe('composition', () => {
  test('a request passes every layer and the response carries every layer’s headers', async (t) => {
    const violations: string[] = [];
    const app: App = (e, sr) => {
      sr('200 OK', [['Content-Type', 'text/html; charset=utf-8']]);
      return [bytes(`<p>${String(e[REQUEST_ID_KEY])} ${e.REMOTE_ADDR}</p>`.repeat(100))];
    };
    const s = await start(t, stack(app, violations));
    const r = await request(s.port, '/page', {
      headers: { 'Accept-Encoding': 'gzip', Origin: 'https://a.example', 'X-Forwarded-For': '203.0.113.5', 'X-Request-Id': 'abc-1' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.header('content-encoding'), 'gzip');
    assert.equal(r.header('x-request-id'), 'abc-1');
    assert.equal(r.header('access-control-allow-origin'), 'https://a.example');
    assert.equal(r.header('x-content-type-options'), 'nosniff');
    assert.equal(r.header('vary'), 'Accept-Encoding, Origin');
    assert.match(gunzipSync(r.body).toString(), /^<p>abc-1 203\.0\.113\.5<\/p>/);
    assert.equal((await request(s.port, '/old')).header('location'), '/new');
    const file = await request(s.port, '/static/hello.txt');
    assert.equal(file.body.toString(), 'hello world\n');
    assert.equal(file.header('x-frame-options'), 'SAMEORIGIN');
    assert.deepEqual(violations, []);
  });

  test('close() reaches the app body exactly once through the whole stack, also on abort', async (t) => {
    const violations: string[] = [];
    let closes = 0;
    const gate = deferred();
    const app: App = (e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      const gen = (async function* () {
        yield bytes('a'.repeat(5000));
        if (e.PATH_INFO === '/stall') await gate.promise;
        yield bytes('b'.repeat(5000));
      })();
      return Object.assign(gen, { close: () => void closes++ });
    };
    const s = await start(t, stack(app, violations));
    for (const ae of ['gzip', 'identity']) await request(s.port, '/done', { headers: { 'Accept-Encoding': ae } });
    assert.equal(closes, 2);
    const c = await RawConnection.open(s.port);
    c.write('GET /stall HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n');
    await c.waitFor((b) => b.includes('\r\n\r\n'));
    c.destroy();
    for (let i = 0; i < 300 && closes < 3; i++) await new Promise((r) => setTimeout(r, 10));
    gate.resolve();
    assert.equal(closes, 3);
  });

  test('an app error before the headers still becomes a 500 through the stack', async (t) => {
    const violations: string[] = [];
    const s = await start(t, stack(() => {
      throw new Error('boom');
    }, violations));
    const r = await request(s.port, '/x', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(r.status, 500);
  });

  test('excInfo replaces headers that were not sent yet, through compression', async (t) => {
    const app: App = (_e, sr) =>
      (async function* () {
        sr('200 OK', [['Content-Type', 'text/plain']]);
        yield new Uint8Array(0);
        sr('503 Service Unavailable', [['Content-Type', 'text/plain']], new Error('late failure'));
        yield bytes('try later '.repeat(200));
      })();
    const s = await start(t, compression(app));
    const r = await request(s.port, '/', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(r.status, 503);
    assert.equal(gunzipSync(r.body).toString(), 'try later '.repeat(200));
  });

  test('dispatcher + static: a mounted static site sees its own SCRIPT_NAME', async (t) => {
    const s = await start(t, dispatcher({ '/assets': staticFiles(checked((_e, sr) => {
      sr('404 Not Found', [['Content-Type', 'text/plain']]);
      return [bytes('nope')];
    }, []), { root: site.root }) }));
    assert.equal((await request(s.port, '/assets/hello.txt')).body.toString(), 'hello world\n');
    assert.equal((await request(s.port, '/assets/sub')).header('location'), '/assets/sub/');
  });
});
