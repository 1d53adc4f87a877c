import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as http2 from 'node:http2';
import { brotliDecompressSync, createBrotliDecompress, createGunzip, gunzipSync } from 'node:zlib';
import type { Transform } from 'node:stream';
import { rawExchange } from '@tsgi/test-support';
import { get, runCli, startProxy, until, type ProxyProc } from './helpers.ts';
import { makePki, type TestPki } from './edge-certs.js';
import { negotiateEncoding } from '../src/policy/compression.js';

const TEXT = 'All work and no play makes Jack a dull boy. '.repeat(200);

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function fetch1(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function decode(r: { headers: Record<string, unknown>; body: Buffer }): string {
  const enc = r.headers['content-encoding'];
  if (enc === 'gzip') return gunzipSync(r.body).toString();
  if (enc === 'br') return brotliDecompressSync(r.body).toString();
  return r.body.toString();
}

/** Resolves the next time the streaming route is hit, with a function that finishes its response. */
let streamGate: ((finish: () => void) => void) | null = null;
const upstreamClosedEarly: string[] = [];

function upstreamHandler(req: { url?: string; on(e: 'close', f: () => void): void }, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  // Routes /off and /gz reach the same handlers.
  switch (url.pathname.replace(/^\/(?:off|gz)\//, '/')) {
    case '/text':
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(TEXT), etag: '"v1"', vary: 'Origin' });
      res.end(TEXT);
      return;
    case '/small':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 13 });
      res.end('{"small":true}'.slice(0, 13));
      return;
    case '/png':
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': Buffer.byteLength(TEXT) });
      res.end(TEXT);
      return;
    case '/encoded': {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'identity-ish' });
      res.end(TEXT);
      return;
    }
    case '/no-transform':
      res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'public, no-transform', 'content-length': Buffer.byteLength(TEXT) });
      res.end(TEXT);
      return;
    case '/no-content':
      res.writeHead(204, { 'content-type': 'text/plain' });
      res.end();
      return;
    case '/not-modified':
      res.writeHead(304, { 'content-type': 'text/plain', etag: '"v1"' });
      res.end();
      return;
    case '/chunked':
      // No Content-Length: node sends it chunked in several writes.
      res.writeHead(200, { 'content-type': 'application/problem+json' });
      for (let i = 0; i < 20; i++) res.write(`{"line":${i},"text":"${'x'.repeat(200)}"}\n`);
      res.end();
      return;
    case '/stream': {
      // The first part now; the rest only when the test says so, after it saw compressed bytes arrive.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: first ${'a'.repeat(64)}\n\n`);
      let ended = false;
      res.on('close', () => {
        if (!ended) upstreamClosedEarly.push(url.search);
      });
      const gate = streamGate;
      streamGate = null;
      gate?.(() => {
        ended = true;
        res.end('data: last\n\n');
      });
      return;
    }
    default:
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no');
  }
}

function nextStream(): Promise<() => void> {
  return new Promise((resolve) => (streamGate = resolve));
}

/** Reads a response through a streaming decoder; resolves `seen(text)` as soon as `text` was decoded. */
function streamingReader(headers: Record<string, unknown>, source: NodeJS.ReadableStream): { seen(text: string): Promise<void>; done: Promise<string> } {
  const dec: Transform = headers['content-encoding'] === 'br' ? createBrotliDecompress() : createGunzip();
  let text = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  dec.on('data', (d: Buffer) => {
    text += d.toString();
    for (const w of waiters.splice(0)) if (text.includes(w.text)) w.resolve();
    else waiters.push(w);
  });
  source.pipe(dec);
  return {
    seen: (t) => (text.includes(t) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text: t, resolve }))),
    done: new Promise((resolve, reject) => {
      dec.on('end', () => resolve(text));
      dec.on('error', reject);
    }),
  };
}

describe('response compression at the edge', () => {
  let upstream: Server;
  let upPort: number;
  let pki: TestPki;
  let proxy: ProxyProc;
  let plain: number;
  let tlsPort: number;

  before(async () => {
    upstream = createServer(upstreamHandler);
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upPort = (upstream.address() as { port: number }).port;
    pki = makePki();
    const cert = pki.issue('site', ['site.test']);
    proxy = await startProxy(`listeners:
  - { address: "127.0.0.1:0" }
  - { address: "127.0.0.1:0", tls: { certs: [{ cert: "${cert.cert}", key: "${cert.key}" }] } }
admin: { address: "127.0.0.1:0" }
accessLog: false
compression: { enabled: true, minBytes: 1k }
upstreams:
  app: { servers: ["127.0.0.1:${upPort}"] }
routes:
  - { path: /, upstream: app }
  - { path: /off, upstream: app, compression: false }
  - { path: /gz, upstream: app, compression: { encodings: [gzip] } }
`);
    const [first, second] = proxy.ports;
    assert.ok(first !== undefined && second !== undefined, `two listeners: ${proxy.ports.join(', ')}`);
    [plain, tlsPort] = [first, second];
  });

  after(async () => {
    await proxy?.kill();
    upstream?.closeAllConnections();
    await new Promise((r) => upstream?.close(r));
    pki?.cleanup();
  });

  test('Accept-Encoding q-values pick the encoding; the config order breaks ties', () => {
    assert.equal(negotiateEncoding('gzip, deflate, br', ['br', 'gzip']), 'br');
    assert.equal(negotiateEncoding('gzip;q=1.0, br;q=0.5', ['br', 'gzip']), 'gzip');
    assert.equal(negotiateEncoding('br;q=0, *', ['br', 'gzip']), 'gzip');
    assert.equal(negotiateEncoding('*;q=0', ['br', 'gzip']), null);
    assert.equal(negotiateEncoding('identity', ['br', 'gzip']), null);
    assert.equal(negotiateEncoding('x-gzip', ['br', 'gzip']), 'gzip');
    assert.equal(negotiateEncoding(null, ['br', 'gzip']), null);
  });

  test('a compressible response is compressed as the client asks: chunked, Vary added, strong ETag weakened', async () => {
    for (const [ae, want] of [
      ['gzip', 'gzip'],
      ['br', 'br'],
      ['gzip, br', 'br'],
      ['br;q=0.1, gzip;q=0.9', 'gzip'],
    ] as const) {
      const r = await fetch1(plain, '/text', { 'accept-encoding': ae });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], want, `for Accept-Encoding: ${ae}`);
      assert.equal(r.headers['content-length'], undefined);
      assert.equal(r.headers['transfer-encoding'], 'chunked');
      assert.equal(r.headers.etag, 'W/"v1"');
      assert.equal(r.headers.vary, 'Origin, Accept-Encoding');
      assert.ok(r.body.length < Buffer.byteLength(TEXT) / 5, `compressed to ${r.body.length} bytes`);
      assert.equal(decode(r), TEXT);
    }
    const gzOnly = await fetch1(plain, '/gz/text', { 'accept-encoding': 'br, gzip' });
    assert.equal(gzOnly.headers['content-encoding'], 'gzip', 'a route limited to gzip never sends br');
  });

  test('a client that accepts no encoding gets the identity body with Vary and the original length and ETag', async () => {
    const variants: Record<string, string>[] = [{}, { 'accept-encoding': 'identity' }, { 'accept-encoding': 'gzip;q=0, br;q=0' }];
    for (const headers of variants) {
      const r = await fetch1(plain, '/text', headers);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.headers['content-length'], String(Buffer.byteLength(TEXT)));
      assert.equal(r.headers.etag, '"v1"');
      assert.equal(r.headers.vary, 'Origin, Accept-Encoding');
      assert.equal(r.body.toString(), TEXT);
    }
  });

  test('left alone: small bodies, incompressible types, already encoded, no-transform, HEAD, 204, 304, a route with compression off', async () => {
    const ae = { 'accept-encoding': 'gzip, br' };
    const cases: [string, string, number, string | undefined][] = [
      ['/small', 'GET', 200, '13'],
      ['/png', 'GET', 200, String(Buffer.byteLength(TEXT))],
      ['/no-transform', 'GET', 200, String(Buffer.byteLength(TEXT))],
      ['/text', 'HEAD', 200, String(Buffer.byteLength(TEXT))],
      ['/no-content', 'GET', 204, undefined],
      ['/not-modified', 'GET', 304, undefined],
      ['/off/text', 'GET', 200, String(Buffer.byteLength(TEXT))],
    ];
    for (const [path, method, status, length] of cases) {
      const r = await fetch1(plain, path, ae, method);
      assert.equal(r.status, status, path);
      assert.equal(r.headers['content-encoding'], undefined, `${method} ${path} is not compressed`);
      assert.equal(r.headers['content-length'], length, `${method} ${path} keeps its length`);
      if (path === '/off/text') assert.equal(r.headers.vary, 'Origin', 'compression off: Vary untouched');
    }
    const encoded = await fetch1(plain, '/encoded', ae);
    assert.equal(encoded.headers['content-encoding'], 'identity-ish', 'an upstream Content-Encoding is passed on, not stacked');
    assert.equal(encoded.body.toString(), TEXT);
  });

  test('a chunked upstream body of a matching type is compressed whatever its length', async () => {
    const r = await fetch1(plain, '/chunked', { 'accept-encoding': 'gzip' });
    assert.equal(r.headers['content-encoding'], 'gzip');
    const lines = decode(r).trim().split('\n');
    assert.equal(lines.length, 20);
    assert.deepEqual(JSON.parse(lines[19]!).line, 19);
  });

  test('HTTP/1.0 clients get a close-delimited compressed body', async () => {
    const reply = (await rawExchange(plain, 'GET /text HTTP/1.0\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n')).raw;
    const end = reply.indexOf('\r\n\r\n');
    const head = reply.subarray(0, end + 2).toString('latin1');
    assert.match(head, /\r\ncontent-encoding: gzip\r\n/);
    assert.match(head, /\r\nconnection: close\r\n/);
    assert.doesNotMatch(head, /transfer-encoding|content-length/i);
    assert.equal(gunzipSync(reply.subarray(end + 4)).toString(), TEXT);
  });

  test('a streaming upstream streams: compressed bytes arrive before the upstream has finished (HTTP/1.1)', { timeout: 20_000 }, async () => {
    const gate = nextStream();
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: plain, path: '/stream?h1', headers: { 'accept-encoding': 'br' }, agent: false }, resolve);
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.headers['content-encoding'], 'br');
    const reader = streamingReader(res.headers, res);
    const finish = await gate;
    await reader.seen('data: first');
    finish();
    assert.equal(await reader.done, `data: first ${'a'.repeat(64)}\n\ndata: last\n\n`);
  });

  test('over HTTP/2: compressed and streaming, and left alone when not asked', { timeout: 20_000 }, async () => {
    const session = http2.connect(`https://127.0.0.1:${tlsPort}`, { ca: pki.ca, servername: 'site.test' });
    try {
      const h2get = (path: string, ae?: string) =>
        new Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
          const req = session.request({ ':path': path, ':authority': 'site.test', ...(ae ? { 'accept-encoding': ae } : {}) });
          let headers: http2.IncomingHttpHeaders = {};
          const chunks: Buffer[] = [];
          req.on('response', (h) => (headers = h));
          req.on('data', (d: Buffer) => chunks.push(d));
          req.on('end', () => resolve({ headers, body: Buffer.concat(chunks) }));
          req.on('error', reject);
        });
      const gz = await h2get('/text', 'gzip');
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(gz.headers['content-length'], undefined);
      assert.equal(decode({ headers: gz.headers, body: gz.body }), TEXT);
      const none = await h2get('/png', 'gzip, br');
      assert.equal(none.headers['content-encoding'], undefined);
      assert.equal(none.body.toString(), TEXT);

      const gate = nextStream();
      const req = session.request({ ':path': '/stream?h2', ':authority': 'site.test', 'accept-encoding': 'gzip' });
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) => req.on('response', resolve));
      assert.equal(headers['content-encoding'], 'gzip');
      const reader = streamingReader(headers, req);
      const finish = await gate;
      await reader.seen('data: first');
      finish();
      assert.equal(await reader.done, `data: first ${'a'.repeat(64)}\n\ndata: last\n\n`);
    } finally {
      session.close();
    }
  });

  test('a client that aborts mid-stream cancels the upstream response, and the proxy keeps serving', async () => {
    const gate = nextStream();
    const req = request({ host: '127.0.0.1', port: plain, path: '/stream?abort', headers: { 'accept-encoding': 'gzip' }, agent: false });
    req.on('error', () => {});
    const res = await new Promise<IncomingMessage>((resolve) => {
      req.on('response', resolve);
      req.end();
    });
    res.on('error', () => {});
    await gate;
    await new Promise((r) => res.once('data', r));
    // A reset, as when a browser tab goes away (a plain FIN is a half-close the proxy answers through, as for any client).
    res.socket.resetAndDestroy();
    await until(() => upstreamClosedEarly.includes('?abort'), 5000, 'the upstream response to be cut');
    assert.equal(decode(await fetch1(plain, '/text', { 'accept-encoding': 'gzip' })), TEXT);
  });

  test('metrics count compressed responses and bytes in and out', async () => {
    const m = (await get(proxy.admin!, '/metrics')).body;
    const value = (name: string, enc: string): number => Number(new RegExp(`^${name}\\{encoding="${enc}"\\} (\\d+)`, 'm').exec(m)?.[1] ?? 0);
    assert.ok(value('tsgi_proxy_compressed_responses_total', 'gzip') >= 3);
    assert.ok(value('tsgi_proxy_compressed_responses_total', 'br') >= 2);
    const bytesIn = value('tsgi_proxy_compression_bytes_in_total', 'gzip');
    const bytesOut = value('tsgi_proxy_compression_bytes_out_total', 'gzip');
    assert.ok(bytesIn > 0 && bytesOut > 0 && bytesOut < bytesIn, `in ${bytesIn}, out ${bytesOut}`);
  });
});

test('compression config errors are one line naming the key', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-cfg-'));
  try {
    const base = 'upstreams: { app: { servers: ["127.0.0.1:1"] } }\n';
    const cases: [string, RegExp][] = [
      [`${base}compression: { encodings: [deflate] }\nroutes: [{ upstream: app }]\n`, /^config: compression\.encodings\.0 .*got "deflate" \(from .*\)$/],
      [`${base}compression: { types: ["text"] }\nroutes: [{ upstream: app }]\n`, /^config: compression\.types\.0 must be media types .*got "text"/],
      [`${base}routes: [{ upstream: app, compression: { minBytes: "lots" } }]\n`, /^config: routes\.0\.compression\.minBytes .*got "lots"/],
      [`${base}routes: [{ upstream: app, compression: { level: 3 } }]\n`, /^config: routes\.0\.compression\.level is not a known key/],
    ];
    for (const [yaml, want] of cases) {
      const path = join(dir, 'proxy.yaml');
      writeFileSync(path, yaml);
      const r = await runCli(['--config', path, '--check-config']);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.match(r.stderr.trim(), want);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
