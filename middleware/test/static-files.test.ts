import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { App } from '@tsgi/gateway';
import { staticFiles, type StaticFilesOptions } from '@tsgi/middleware';
import { makeSite, type SiteFixture } from './helpers/fixtures.ts';
import { bytes, header, rawExchange, RawConnection, request, start } from './helpers/raw-http.ts';

let site: SiteFixture;
before(() => {
  site = makeSite();
});
after(() => site.cleanup());

/** The wrapped app: says it was reached, so fall-through is visible. */
const fallback: App = (environ, startResponse) => {
  startResponse('404 Not Found', [['Content-Type', 'text/plain'], ['X-Reached', 'app']]);
  return [bytes(`app saw ${environ.REQUEST_METHOD} ${environ.PATH_INFO}`)];
};

function site$(options: Partial<StaticFilesOptions> = {}): App {
  return staticFiles(fallback, { root: site.root, prefix: '/static', ...options });
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('staticFiles: serving', () => {
  test('GET a text file: body, type with charset, length, validators, cache-control', async (t) => {
    const s = await start(t, site$());
    const r = await request(s.port, '/static/hello.txt');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'hello world\n');
    assert.equal(r.header('content-type'), 'text/plain; charset=utf-8');
    assert.equal(r.header('content-length'), '12');
    assert.equal(r.header('accept-ranges'), 'bytes');
    assert.match(r.header('etag')!, /^"[0-9a-f]+-c"$/);
    const mtime = statSync(join(site.root, 'hello.txt')).mtime;
    assert.equal(r.header('last-modified'), mtime.toUTCString());
    assert.equal(r.header('cache-control'), 'public, max-age=0');
  });

  test('Content-Type by extension; unknown extensions are application/octet-stream', async (t) => {
    const s = await start(t, site$());
    assert.equal((await request(s.port, '/static/sub/page.html')).header('content-type'), 'text/html; charset=utf-8');
    assert.equal((await request(s.port, '/static/data.json')).header('content-type'), 'application/json; charset=utf-8');
    assert.equal((await request(s.port, '/static/blob.unknownext')).header('content-type'), 'application/octet-stream');
  });

  test('HEAD gives the GET headers and no body', async (t) => {
    const s = await start(t, site$());
    const reply = await rawExchange(s.port, 'HEAD /static/hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { head: true });
    const r = reply.responses[0]!;
    assert.equal(r.status, 200);
    assert.equal(header(r, 'content-length'), '12');
    assert.equal(header(r, 'content-type'), 'text/plain; charset=utf-8');
    assert.ok(reply.text.endsWith('\r\n\r\n'), 'no body bytes after the head');
  });

  test('a percent-encoded space names the file with a space', async (t) => {
    const s = await start(t, site$());
    const r = await request(s.port, '/static/a%20b.txt');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'space');
  });

  test('a 3 MiB file streams intact', async (t) => {
    const s = await start(t, site$());
    const r = await request(s.port, '/static/big.bin');
    assert.equal(r.status, 200);
    assert.equal(r.header('content-length'), String(site.big.length));
    assert.equal(sha(r.body), sha(site.big));
  });

  test('a stalled client holds one open file, not the file in memory; aborting releases the descriptor', async (t) => {
    const s = await start(t, site$());
    const huge = join(site.root, 'huge.bin');
    const openCount = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === huge;
        } catch {
          return false;
        }
      }).length;
    const c = await RawConnection.open(s.port);
    c.pause();
    c.write(`GET /static/huge.bin HTTP/1.1\r\nHost: x\r\n\r\n`);
    // Bounded polls, no fixed sleeps: the 64 MiB file stays open while the
    // client does not read (the server reads only what the socket takes)...
    for (let i = 0; i < 300 && openCount() === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(openCount(), 1, 'the file is open while the response is stalled');
    assert.ok(s.server.inFlight === 1, 'the response has not finished');
    c.destroy();
    // ...and close() reaches the file when the client goes away (APP-3).
    for (let i = 0; i < 300 && openCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(openCount(), 0, 'the descriptor was released');
  });

  test('non-files and pipes are not served and do not hang the server', async (t) => {
    const s = await start(t, site$({ fallthrough: false }));
    assert.equal((await request(s.port, '/static/pipe')).status, 404);
    assert.equal((await request(s.port, '/static/hello.txt')).status, 200);
  });

  test('symlinks inside the root are followed', async (t) => {
    const s = await start(t, site$());
    const r = await request(s.port, '/static/link-in.txt');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'hello world\n');
  });
});

describe('staticFiles: directories and index', () => {
  test('a directory with a trailing slash serves its index', async (t) => {
    const s = await start(t, site$());
    assert.equal((await request(s.port, '/static/')).body.toString(), '<p>root index</p>');
    assert.equal((await request(s.port, '/static/sub/')).body.toString(), '<p>sub index</p>');
  });

  test('a directory without the slash redirects (301) to the slashed path, keeping the query', async (t) => {
    const s = await start(t, site$());
    const r = await request(s.port, '/static/sub?x=1');
    assert.equal(r.status, 301);
    assert.equal(r.header('location'), '/static/sub/?x=1');
    const top = await request(s.port, '/static');
    assert.equal(top.status, 301);
    assert.equal(top.header('location'), '/static/');
  });

  test('a directory without an index, or a file with a trailing slash, is not found', async (t) => {
    const s = await start(t, site$());
    const r = await request(s.port, '/static/docs/');
    assert.equal(r.header('x-reached'), 'app');
    assert.equal((await request(s.port, '/static/hello.txt/')).header('x-reached'), 'app');
  });

  test('index: false disables index files', async (t) => {
    const s = await start(t, site$({ index: false, fallthrough: false }));
    assert.equal((await request(s.port, '/static/sub/')).status, 404);
  });

  test('paths outside the prefix go to the app; the prefix matches on a segment boundary', async (t) => {
    const s = await start(t, site$());
    const r = await request(s.port, '/staticfoo/hello.txt');
    assert.equal(r.header('x-reached'), 'app');
    assert.equal(r.body.toString(), 'app saw GET /staticfoo/hello.txt');
  });
});

describe('staticFiles: conditional requests', () => {
  test('If-None-Match with the ETag (strong or weak form) gives 304 with validators and no body', async (t) => {
    const s = await start(t, site$());
    const first = await request(s.port, '/static/hello.txt');
    const etag = first.header('etag')!;
    for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const r = await request(s.port, '/static/hello.txt', { headers: { 'If-None-Match': inm } });
      assert.equal(r.status, 304, inm);
      assert.equal(r.header('etag'), etag);
      assert.equal(r.header('cache-control'), 'public, max-age=0');
      assert.equal(r.body.length, 0);
    }
  });

  test('If-Modified-Since: 304 at or after Last-Modified, 200 before', async (t) => {
    const s = await start(t, site$());
    const lm = (await request(s.port, '/static/hello.txt')).header('last-modified')!;
    assert.equal((await request(s.port, '/static/hello.txt', { headers: { 'If-Modified-Since': lm } })).status, 304);
    const older = new Date(Date.parse(lm) - 60_000).toUTCString();
    assert.equal((await request(s.port, '/static/hello.txt', { headers: { 'If-Modified-Since': older } })).status, 200);
    assert.equal((await request(s.port, '/static/hello.txt', { headers: { 'If-Modified-Since': 'garbage' } })).status, 200);
  });

  test('dates that are not HTTP-dates are ignored, and asctime dates are GMT whatever the TZ', async (t) => {
    const s = await start(t, site$());
    const lm = (await request(s.port, '/static/hello.txt')).header('last-modified')!;
    // Date.parse took these as 2030 and 2000: 304 for any file, 412 for any file.
    for (const ims of ['2030', 'garbage 2030', '12/31/2099']) {
      assert.equal((await request(s.port, '/static/hello.txt', { headers: { 'If-Modified-Since': ims } })).status, 200, ims);
    }
    for (const ius of ['0', '2000']) {
      assert.equal((await request(s.port, '/static/hello.txt', { headers: { 'If-Unmodified-Since': ius } })).status, 200, ius);
    }
    // asctime form of Last-Modified: "Sun Nov  6 08:49:37 1994".
    const d = new Date(Date.parse(lm));
    const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]!;
    const month = lm.slice(8, 11);
    const hms = d.toISOString().slice(11, 19);
    const asctime = `${day} ${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${hms} ${d.getUTCFullYear()}`;
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      assert.equal((await request(s.port, '/static/hello.txt', { headers: { 'If-Modified-Since': asctime } })).status, 304, asctime);
      assert.equal((await request(s.port, '/static/hello.txt', { headers: { Range: 'bytes=0-4', 'If-Range': asctime } })).status, 206, asctime);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  test('If-None-Match wins over If-Modified-Since', async (t) => {
    const s = await start(t, site$());
    const future = new Date(Date.now() + 86_400_000).toUTCString();
    const r = await request(s.port, '/static/hello.txt', { headers: { 'If-None-Match': '"other"', 'If-Modified-Since': future } });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'hello world\n');
  });

  test('If-Match that fails and If-Unmodified-Since in the past give 412', async (t) => {
    const s = await start(t, site$());
    assert.equal((await request(s.port, '/static/hello.txt', { headers: { 'If-Match': '"other"' } })).status, 412);
    const past = new Date(0).toUTCString();
    assert.equal((await request(s.port, '/static/hello.txt', { headers: { 'If-Unmodified-Since': past } })).status, 412);
    const etag = (await request(s.port, '/static/hello.txt')).header('etag')!;
    assert.equal((await request(s.port, '/static/hello.txt', { headers: { 'If-Match': etag } })).status, 200);
  });

  test("etag: 'weak' sends W/ tags; etag: false and lastModified: false send none", async (t) => {
    const weak = await start(t, site$({ etag: 'weak' }));
    const w = await request(weak.port, '/static/hello.txt');
    assert.match(w.header('etag')!, /^W\/"/);
    assert.equal((await request(weak.port, '/static/hello.txt', { headers: { 'If-None-Match': w.header('etag')! } })).status, 304);
    const none = await start(t, site$({ etag: false, lastModified: false }));
    const n = await request(none.port, '/static/hello.txt');
    assert.equal(n.header('etag'), undefined);
    assert.equal(n.header('last-modified'), undefined);
  });
});

describe('staticFiles: ranges', () => {
  test('a single range gives 206 with Content-Range', async (t) => {
    const s = await start(t, site$());
    const cases: Array<[string, string, string]> = [
      ['bytes=0-4', 'hello', 'bytes 0-4/12'],
      ['bytes=6-', 'world\n', 'bytes 6-11/12'],
      ['bytes=-6', 'world\n', 'bytes 6-11/12'],
      ['bytes=6-1000', 'world\n', 'bytes 6-11/12'],
    ];
    for (const [range, body, cr] of cases) {
      const r = await request(s.port, '/static/hello.txt', { headers: { Range: range } });
      assert.equal(r.status, 206, range);
      assert.equal(r.body.toString(), body, range);
      assert.equal(r.header('content-range'), cr, range);
      assert.equal(r.header('content-length'), String(body.length), range);
    }
  });

  test('a range in the middle of a large file returns exactly those bytes', async (t) => {
    const s = await start(t, site$());
    const a = 1_000_000;
    const b = 2_500_000;
    const r = await request(s.port, '/static/big.bin', { headers: { Range: `bytes=${a}-${b}` } });
    assert.equal(r.status, 206);
    assert.equal(sha(r.body), sha(site.big.subarray(a, b + 1)));
  });

  test('an unsatisfiable range gives 416 with Content-Range: bytes */size', async (t) => {
    const s = await start(t, site$());
    for (const range of ['bytes=12-', 'bytes=100-200', 'bytes=-0']) {
      const r = await request(s.port, '/static/hello.txt', { headers: { Range: range } });
      assert.equal(r.status, 416, range);
      assert.equal(r.header('content-range'), 'bytes */12', range);
    }
  });

  test('multiple ranges, malformed ranges and other units get the whole file (200)', async (t) => {
    const s = await start(t, site$());
    for (const range of ['bytes=0-1,3-4', 'bytes=5-2', 'bytes=x-y', 'items=0-1']) {
      const r = await request(s.port, '/static/hello.txt', { headers: { Range: range } });
      assert.equal(r.status, 200, range);
      assert.equal(r.body.toString(), 'hello world\n', range);
    }
  });

  test('If-Range: a matching ETag keeps the range, a stale one sends the whole file', async (t) => {
    const s = await start(t, site$());
    const etag = (await request(s.port, '/static/hello.txt')).header('etag')!;
    const hit = await request(s.port, '/static/hello.txt', { headers: { Range: 'bytes=0-4', 'If-Range': etag } });
    assert.equal(hit.status, 206);
    const stale = await request(s.port, '/static/hello.txt', { headers: { Range: 'bytes=0-4', 'If-Range': '"stale"' } });
    assert.equal(stale.status, 200);
    assert.equal(stale.body.toString(), 'hello world\n');
  });
});

describe('staticFiles: precompressed siblings', () => {
  test('serves .br / .gz by Accept-Encoding with the original type and Vary', async (t) => {
    const s = await start(t, site$({ precompressed: true }));
    const br = await request(s.port, '/static/app.js', { headers: { 'Accept-Encoding': 'gzip, br' } });
    assert.equal(br.header('content-encoding'), 'br');
    assert.equal(br.header('content-type'), 'application/javascript; charset=utf-8');
    assert.equal(br.header('vary'), 'Accept-Encoding');
    assert.equal(brotliDecompressSync(br.body).toString(), site.js);

    const gz = await request(s.port, '/static/app.js', { headers: { 'Accept-Encoding': 'gzip, br;q=0' } });
    assert.equal(gz.header('content-encoding'), 'gzip');
    assert.equal(gunzipSync(gz.body).toString(), site.js);
    assert.notEqual(gz.header('etag'), br.header('etag'));

    const plain = await request(s.port, '/static/app.js');
    assert.equal(plain.header('content-encoding'), undefined);
    assert.equal(plain.header('vary'), 'Accept-Encoding');
    assert.equal(plain.body.toString(), site.js);
    assert.notEqual(plain.header('etag'), gz.header('etag'));
  });

  test('falls back to the next accepted coding when a sibling is missing', async (t) => {
    const s = await start(t, site$({ precompressed: true }));
    const r = await request(s.port, '/static/only-gz.css', { headers: { 'Accept-Encoding': 'br, gzip' } });
    assert.equal(r.header('content-encoding'), 'gzip');
    assert.equal(r.header('content-type'), 'text/css; charset=utf-8');
  });

  test('without the option, siblings are ignored', async (t) => {
    const s = await start(t, site$());
    const r = await request(s.port, '/static/app.js', { headers: { 'Accept-Encoding': 'br' } });
    assert.equal(r.header('content-encoding'), undefined);
    assert.equal(r.header('vary'), undefined);
  });
});

describe('staticFiles: options', () => {
  test('maxAge + immutable, and an explicit cacheControl', async (t) => {
    const a = await start(t, site$({ maxAge: 31536000, immutable: true }));
    assert.equal((await request(a.port, '/static/hello.txt')).header('cache-control'), 'public, max-age=31536000, immutable');
    const b = await start(t, site$({ cacheControl: 'no-cache' }));
    assert.equal((await request(b.port, '/static/hello.txt')).header('cache-control'), 'no-cache');
    const c = await start(t, site$({ cacheControl: false }));
    assert.equal((await request(c.port, '/static/hello.txt')).header('cache-control'), undefined);
  });

  test('other methods fall through to the app, or get 405 with Allow when fallthrough is off', async (t) => {
    const a = await start(t, site$());
    const r = await request(a.port, '/static/hello.txt', { method: 'POST', body: 'x' });
    assert.equal(r.body.toString(), 'app saw POST /static/hello.txt');
    const b = await start(t, site$({ fallthrough: false }));
    const r2 = await request(b.port, '/static/hello.txt', { method: 'DELETE' });
    assert.equal(r2.status, 405);
    assert.equal(r2.header('allow'), 'GET, HEAD');
  });

  test('missing files fall through, or 404 when fallthrough is off', async (t) => {
    const a = await start(t, site$());
    assert.equal((await request(a.port, '/static/missing.txt')).header('x-reached'), 'app');
    const b = await start(t, site$({ fallthrough: false }));
    const r = await request(b.port, '/static/missing.txt');
    assert.equal(r.status, 404);
    assert.equal(r.header('x-reached'), undefined);
  });

  test("dotfiles: ignored by default, 403 with 'deny', served with 'allow'", async (t) => {
    const a = await start(t, site$({ fallthrough: false }));
    assert.equal((await request(a.port, '/static/.env')).status, 404);
    assert.equal((await request(a.port, '/static/.git/config')).status, 404);
    const b = await start(t, site$({ dotfiles: 'deny' }));
    assert.equal((await request(b.port, '/static/.env')).status, 403);
    const c = await start(t, site$({ dotfiles: 'allow' }));
    assert.equal((await request(c.port, '/static/.env')).status, 200);
  });

  test('prefix "/" serves from the site root', async (t) => {
    const s = await start(t, staticFiles(fallback, { root: site.root }));
    assert.equal((await request(s.port, '/hello.txt')).body.toString(), 'hello world\n');
    assert.equal((await request(s.port, '/')).body.toString(), '<p>root index</p>');
  });
});
