import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { brotliDecompressSync, constants, gunzipSync } from 'node:zlib';
import type { App, ResponseHeaders } from '@tsgi/gateway';
import { compression, type CompressionOptions } from '@tsgi/middleware';
import { bytes, deferred, request, start, RawConnection } from './helpers/raw-http.ts';

const TEXT = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item ${i}` })) });

function fixed(body: string, headers: ResponseHeaders = [['Content-Type', 'application/json']], status = '200 OK'): App {
  return (_e, startResponse) => {
    startResponse(status, headers);
    return [bytes(body)];
  };
}

function gz(app: App, options?: CompressionOptions): App {
  return compression(app, options);
}

/** The body bytes a partial chunked response carries so far. */
function partialBody(raw: Buffer): Buffer {
  const start = raw.indexOf('\r\n\r\n') + 4;
  const out: Buffer[] = [];
  let pos = start;
  for (;;) {
    const eol = raw.indexOf('\r\n', pos);
    if (eol === -1) break;
    const size = parseInt(raw.subarray(pos, eol).toString('latin1'), 16);
    if (!(size > 0) || eol + 2 + size > raw.length) break;
    out.push(raw.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

describe('compression', () => {
  test('gzip: Content-Encoding, Vary, no Content-Length, body round-trips', async (t) => {
    const s = await start(t, gz(fixed(TEXT, [['Content-Type', 'application/json'], ['Content-Length', String(TEXT.length)]])));
    const r = await request(s.port, '/', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(r.header('content-encoding'), 'gzip');
    assert.equal(r.header('vary'), 'Accept-Encoding');
    assert.equal(r.header('content-length'), undefined);
    assert.equal(gunzipSync(r.body).toString(), TEXT);
    assert.ok(r.body.length < TEXT.length / 3);
  });

  test('codings are chosen by q-value; br wins ties; q=0 and identity refuse', async (t) => {
    const s = await start(t, gz(fixed(TEXT)));
    const cases: Array<[string | undefined, string | undefined]> = [
      ['gzip, br', 'br'],
      ['br;q=0.5, gzip', 'gzip'],
      ['br;q=0, gzip;q=0.1', 'gzip'],
      ['*', 'br'],
      ['*;q=0.5, br;q=0', 'gzip'],
      ['identity', undefined],
      ['gzip;q=0, br;q=0', undefined],
      ['x-gzip', 'gzip'],
      [undefined, undefined],
    ];
    for (const [ae, want] of cases) {
      const r = await request(s.port, '/', { headers: ae === undefined ? {} : { 'Accept-Encoding': ae } });
      assert.equal(r.header('content-encoding'), want, String(ae));
      assert.equal(r.header('vary'), 'Accept-Encoding', String(ae));
      const body = want === 'br' ? brotliDecompressSync(r.body) : want === 'gzip' ? gunzipSync(r.body) : r.body;
      assert.equal(body.toString(), TEXT, String(ae));
    }
  });

  test('bodies under the threshold are left alone (Content-Length or array size)', async (t) => {
    const small = await start(t, gz(fixed('{"ok":true}')));
    const r = await request(small.port, '/', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(r.header('content-encoding'), undefined);
    assert.equal(r.body.toString(), '{"ok":true}');
    assert.equal(r.header('vary'), 'Accept-Encoding');
    const declared = await start(t, gz(fixed('{"ok":true}', [['Content-Type', 'application/json'], ['Content-Length', '11']]), { threshold: 100 }));
    assert.equal((await request(declared.port, '/', { headers: { 'Accept-Encoding': 'gzip' } })).header('content-length'), '11');
  });

  test('skips incompressible types, encoded bodies, no-transform, 204/304', async (t) => {
    const big = 'x'.repeat(5000);
    const cases: Array<[App, string]> = [
      [fixed(big, [['Content-Type', 'image/png']]), 'image/png'],
      [fixed(big, [['Content-Type', 'text/plain'], ['Content-Encoding', 'gzip']]), 'already encoded'],
      [fixed(big, [['Content-Type', 'text/plain'], ['Cache-Control', 'no-transform']]), 'no-transform'],
      [fixed(big, []), 'no Content-Type'],
    ];
    for (const [app, what] of cases) {
      const s = await start(t, gz(app));
      const r = await request(s.port, '/', { headers: { 'Accept-Encoding': 'gzip' } });
      assert.equal(r.body.toString(), big, what);
      if (what !== 'already encoded') assert.equal(r.header('content-encoding'), undefined, what);
    }
    const noBody = await start(t, gz((e, sr) => {
      sr(e.PATH_INFO === '/204' ? '204 No Content' : '304 Not Modified', [['Content-Type', 'text/plain']]);
      return [];
    }));
    for (const p of ['/204', '/304']) {
      const r = await request(noBody.port, p, { headers: { 'Accept-Encoding': 'gzip' } });
      assert.equal(r.header('content-encoding'), undefined, p);
    }
  });

  test('HEAD gets the headers GET gets; Accept-Ranges is dropped from compressed responses', async (t) => {
    const headers: ResponseHeaders = [['Content-Type', 'application/json'], ['Content-Length', String(TEXT.length)], ['Accept-Ranges', 'bytes']];
    // As a framework does: the same headers for HEAD, with an empty body.
    const app: App = (environ, startResponse) => {
      startResponse('200 OK', headers);
      return environ.REQUEST_METHOD === 'HEAD' ? [] : [bytes(TEXT)];
    };
    const s = await start(t, gz(app));
    const names = ['content-encoding', 'vary', 'content-length', 'accept-ranges', 'etag'];
    for (const accept of ['gzip', 'br', 'identity']) {
      const get = await request(s.port, '/', { headers: { 'Accept-Encoding': accept } });
      const head = await request(s.port, '/', { method: 'HEAD', headers: { 'Accept-Encoding': accept } });
      assert.deepEqual(names.map((n) => head.header(n)), names.map((n) => get.header(n)), accept);
      assert.equal(head.body.length, 0, accept);
    }
    const compressed = await request(s.port, '/', { method: 'HEAD', headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(compressed.header('content-encoding'), 'gzip');
    assert.equal(compressed.header('vary'), 'Accept-Encoding');
    assert.equal(compressed.header('content-length'), undefined);
    assert.equal(compressed.header('accept-ranges'), undefined);
    const plain = await request(s.port, '/', { headers: { 'Accept-Encoding': 'identity' } });
    assert.equal(plain.header('accept-ranges'), 'bytes', 'kept on the identity response');
    const small = await start(t, gz(fixed('{}', [['Content-Type', 'application/json'], ['Content-Length', '2']])));
    const smallHead = await request(small.port, '/', { method: 'HEAD', headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(smallHead.header('content-encoding'), undefined, 'below the threshold, as GET');
    assert.equal(smallHead.header('content-length'), '2');
  });

  test('a strong ETag becomes weak on the compressed variant', async (t) => {
    const s = await start(t, gz(fixed(TEXT, [['Content-Type', 'application/json'], ['ETag', '"v1"']])));
    assert.equal((await request(s.port, '/', { headers: { 'Accept-Encoding': 'gzip' } })).header('etag'), 'W/"v1"');
    assert.equal((await request(s.port, '/')).header('etag'), '"v1"');
  });

  test('a streaming response still streams: each chunk is flushed before the next exists', async (t) => {
    const release = deferred();
    const app: App = (_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return (async function* () {
        yield bytes('first part '.repeat(200));
        await release.promise;
        yield bytes('second part');
      })();
    };
    const s = await start(t, gz(app));
    const c = await RawConnection.open(s.port);
    t.after(() => c.destroy());
    c.write('GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n');
    const decoded = (b: Buffer) => gunzipSync(partialBody(b), { finishFlush: constants.Z_SYNC_FLUSH }).toString();
    await c.waitFor((b) => b.includes('\r\n\r\n') && partialBody(b).length > 10 && decoded(b).length >= 2200);
    assert.equal(decoded(c.unread), 'first part '.repeat(200));
    release.resolve();
    await c.waitFor(() => c.serverEnded);
    assert.equal(decoded(c.unread), 'first part '.repeat(200) + 'second part');
  });

  test('startResponse called lazily and write() both go through the compressor in order', async (t) => {
    const viaWrite: App = async (_e, sr) => {
      const write = sr('200 OK', [['Content-Type', 'text/plain']]);
      await write(bytes('A'.repeat(3000)));
      await write(bytes('B'.repeat(3000)));
      return [bytes('C'.repeat(3000))];
    };
    const late: App = (_e, sr) =>
      (async function* () {
        sr('200 OK', [['Content-Type', 'text/html']]);
        yield bytes('<p>'.repeat(1000));
        yield bytes('</p>'.repeat(1000));
      })();
    const a = await start(t, gz(viaWrite));
    const r = await request(a.port, '/', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(gunzipSync(r.body).toString(), 'A'.repeat(3000) + 'B'.repeat(3000) + 'C'.repeat(3000));
    const b = await start(t, gz(late));
    const r2 = await request(b.port, '/', { headers: { 'Accept-Encoding': 'br' } });
    assert.equal(r2.header('content-encoding'), 'br');
    assert.equal(brotliDecompressSync(r2.body).toString(), '<p>'.repeat(1000) + '</p>'.repeat(1000));
  });

  test('a large streamed body (8 MiB in 64 KiB chunks) round-trips', async (t) => {
    const chunk = Buffer.from('0123456789abcdef'.repeat(4096));
    const app: App = (_e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return (async function* () {
        for (let i = 0; i < 128; i++) yield chunk;
      })();
    };
    const s = await start(t, gz(app));
    for (const coding of ['gzip', 'br']) {
      const r = await request(s.port, '/', { headers: { 'Accept-Encoding': coding } });
      const body = coding === 'br' ? brotliDecompressSync(r.body) : gunzipSync(r.body);
      assert.equal(body.length, 128 * chunk.length, coding);
      assert.ok(body.equals(Buffer.concat(Array(128).fill(chunk))), coding);
    }
  });

  test("the app body's close() runs exactly once, after completion and on client abort", async (t) => {
    let closes = 0;
    const gate = deferred();
    const app: App = (e, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      const stall = e.PATH_INFO === '/stall';
      const gen = (async function* () {
        yield bytes('x'.repeat(4000));
        if (stall) await gate.promise;
        yield bytes('y'.repeat(4000));
      })();
      return Object.assign(gen, { close: () => void closes++ });
    };
    const s = await start(t, gz(app));
    await request(s.port, '/', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(closes, 1);
    const c = await RawConnection.open(s.port);
    c.write('GET /stall HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n');
    await c.waitFor((b) => b.includes('\r\n\r\n') && partialBody(b).length > 0);
    c.destroy();
    for (let i = 0; i < 300 && closes < 2; i++) await new Promise((r) => setTimeout(r, 10));
    gate.resolve();
    assert.equal(closes, 2);
  });
});
