import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import * as http2 from 'node:http2';
import { spawn, spawnSync } from 'node:child_process';
import pino from 'pino';
import { validateConfig } from '../src/config/config.js';
import { ProxyWorker } from '../src/process/proxy-worker.js';
import { ClientConnection } from '../src/codec/h1-client.js';
import { H2StreamClient } from '../src/codec/h2-client.js';
import { buildUpstreamHead } from '../src/exchange/forward-head.js';
import { TlsContexts } from '../src/listener/tls-contexts.js';
import { DEFAULT_CIPHERS } from '../src/config/edge-defaults.js';
import { EdgeListener } from '../src/listener/edge-listener.js';
import { dispatchH2Stream } from '../src/codec/h2-dispatch.js';
import { makePki, type TestPki } from './edge-certs.js';

interface H2Result {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: Buffer | string): Promise<H2Result> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers, { endStream: body === undefined });
    let resHeaders: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => (resHeaders = h));
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => resolve({ status: Number(resHeaders[':status']), headers: resHeaders, body: Buffer.concat(chunks).toString() }));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
  });
}

const curl = spawnSync('curl', ['--version'], { encoding: 'utf8' });
const curlH2 = curl.status === 0 && /HTTP2/.test(curl.stdout) ? null : 'curl with HTTP/2 support is not installed (Debian: apt-get install curl)';

describe('HTTP/2 to clients through the proxy core to an HTTP/1.1 upstream', () => {
  let pki: TestPki;
  let upstream: Server;
  let worker: ProxyWorker;
  let listener: EdgeListener;
  let port: number;
  const upstreamSeen: { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  before(async () => {
    pki = makePki();
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        upstreamSeen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (req.url === '/cut') {
          // Announces more than it sends, then dies: the h2 client must see a reset, not a short body that looks whole.
          res.writeHead(200, { 'content-length': 1000 });
          res.write('x'.repeat(10));
          setTimeout(() => req.socket.destroy(), 20);
          return;
        }
        if (req.url === '/none') {
          res.writeHead(204);
          res.end();
          return;
        }
        if (req.url === '/big') {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          // Chunked, 2 MiB: exercises flow control and the chunked decoder.
          for (let i = 0; i < 32; i++) res.write(Buffer.alloc(65536, 97 + (i % 26)));
          res.end();
          return;
        }
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.setHeader('connection', 'keep-alive');
        res.end(JSON.stringify({ method: req.method, url: req.url, len: body.length }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const upPort = (upstream.address() as { port: number }).port;
    const config = validateConfig(
      { listeners: [{ address: '127.0.0.1:0' }], admin: { address: null }, upstreams: { app: { servers: [`127.0.0.1:${upPort}`] } }, routes: [{ upstream: 'app' }], accessLog: false },
      'test',
    );
    worker = new ProxyWorker(config, pino({ level: 'silent' }));
    await worker.start();
    const cert = pki.issue('site', ['site.test']);
    const tls = new TlsContexts({ certs: [cert], minVersion: 'TLSv1.2', ciphers: DEFAULT_CIPHERS, http2: true, handshakeTimeout: 2000 });
    listener = new EdgeListener({
      proxyProtocol: false,
      proxyProtocolTimeout: 1000,
      tls,
      onHttp1: (socket) => new ClientConnection(socket, worker),
      onH2Stream: (stream, _h, flags, raw, info) =>
        dispatchH2Stream(stream, flags, raw, info, {
          limits: worker.config.limits,
          serve: (stream, request, i) => new H2StreamClient(stream, worker, i, request),
          answer: (err) => worker.refusalAnswer(err),
        }),
    });
    port = (await listener.listen('127.0.0.1', 0)).port;
  });

  after(async () => {
    listener.destroySessions();
    await listener.close();
    worker.stop();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
    pki.cleanup();
  });

  test('GET and POST over h2 arrive upstream as HTTP/1.1, answers come back as h2', async () => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca: pki.ca, servername: 'site.test' });
    try {
      const get = await h2Request(session, { ':method': 'GET', ':path': '/hello?x=1', ':authority': 'site.test', cookie: 'c1=1', 'x-test': 'yes' });
      assert.equal(get.status, 200);
      assert.deepEqual(JSON.parse(get.body), { method: 'GET', url: '/hello?x=1', len: 0 });
      assert.deepEqual(get.headers['set-cookie'], ['a=1', 'b=2']);
      assert.equal(get.headers.connection, undefined);
      const seen = upstreamSeen.at(-1)!;
      assert.equal(seen.headers.host, 'site.test');
      assert.equal(seen.headers['x-test'], 'yes');
      assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
      const body = 'x'.repeat(100_000);
      const post = await h2Request(session, { ':method': 'POST', ':path': '/upload', ':authority': 'site.test' }, body);
      assert.equal(post.status, 200);
      assert.equal(JSON.parse(post.body).len, 100_000);
      assert.equal(upstreamSeen.at(-1)!.body.length, 100_000);
      const big = await h2Request(session, { ':method': 'GET', ':path': '/big', ':authority': 'site.test' });
      assert.equal(big.status, 200);
      assert.equal(big.body.length, 32 * 65536);
      // Streams run concurrently on one connection.
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) => h2Request(session, { ':method': 'GET', ':path': `/c${i}`, ':authority': 'site.test' })));
      assert.deepEqual(many.map((m) => JSON.parse(m.body).url), Array.from({ length: 20 }, (_, i) => `/c${i}`));
    } finally {
      session.close();
    }
  });

  test('h2 HEAD and 204 end the stream with the head; an upstream cut mid-body resets the stream', async () => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca: pki.ca, servername: 'site.test' });
    try {
      const head = await h2Request(session, { ':method': 'HEAD', ':path': '/hello', ':authority': 'site.test' });
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
      const none = await h2Request(session, { ':method': 'GET', ':path': '/none', ':authority': 'site.test' });
      assert.equal(none.status, 204);
      assert.equal(none.headers['content-length'], undefined);
      const cut = await h2Request(session, { ':method': 'GET', ':path': '/cut', ':authority': 'site.test' }).then(
        (r) => `completed with ${r.body.length} bytes`,
        (e: Error) => e.message,
      );
      assert.match(cut, /INTERNAL_ERROR|RST_STREAM|closed/i);
      // The session survives the reset stream.
      assert.equal((await h2Request(session, { ':method': 'GET', ':path': '/after-cut', ':authority': 'site.test' })).status, 200);
    } finally {
      session.close();
    }
  });

  test('malformed h2 requests are refused on their stream and never forwarded', async () => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca: pki.ca, servername: 'site.test' });
    const before = upstreamSeen.length;
    try {
      // Refused by our validation (400) or already by nghttp2's own messaging checks (stream reset).
      const outcome = (h: http2.OutgoingHttpHeaders): Promise<string> =>
        h2Request(session, h).then(
          (r) => String(r.status),
          (e: NodeJS.ErrnoException) => (/PROTOCOL_ERROR/.test(e.message) ? 'reset' : `error ${e.message}`),
        );
      for (const h of [
        { ':method': 'GET', ':path': '/x', ':authority': 'bad host' },
        { ':method': 'GET', ':path': '/x', ':authority': 'site.test', host: 'other.test' },
        { ':method': 'GET', ':path': '*', ':authority': 'site.test' },
        { ':method': 'GET', ':path': 'relative', ':authority': 'site.test' },
        { ':method': 'POST', ':path': '/x', ':authority': 'site.test', 'content-length': '1x' },
      ]) {
        assert.match(await outcome(h), /^(400|reset)$/, JSON.stringify(h));
      }
      assert.equal(await outcome({ ':method': 'CONNECT', ':authority': 'site.test:443' }), '501');
      // The connection survived its refused streams.
      const ok = await h2Request(session, { ':method': 'GET', ':path': '/after', ':authority': 'site.test' });
      assert.equal(ok.status, 200);
      assert.equal(upstreamSeen.length, before + 1);
      assert.equal(upstreamSeen.at(-1)!.url, '/after');
    } finally {
      session.close();
    }
  });

  test('HTTP/1.1 over the same TLS listener still works (ALPN http/1.1)', async () => {
    const { connect } = await import('node:tls');
    const s = connect({ host: '127.0.0.1', port, servername: 'site.test', ca: pki.ca, ALPNProtocols: ['http/1.1'] });
    const got = await new Promise<string>((resolve, reject) => {
      let out = '';
      s.on('data', (d: Buffer) => (out += d.toString()));
      s.on('end', () => resolve(out));
      s.on('error', reject);
      s.write('GET /h1 HTTP/1.1\r\nhost: site.test\r\nconnection: close\r\n\r\n');
    });
    assert.match(got, /^HTTP\/1.1 200/);
    assert.match(got, /"url":"\/h1"/);
  });

  test('hostile HTTP/1.1 requests over TLS are refused at the edge and never forwarded', async () => {
    const { connect } = await import('node:tls');
    const before = upstreamSeen.length;
    for (const [raw, status] of [
      ['POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd', 400],
      ['GET / HTTP/1.1\nhost: a\n\n', 400],
      ['GET / HTTP/1.1\r\nhost: a\r\nx: a\x00b\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: gzip\r\n\r\n', '(400|501)'],
    ] as const) {
      const s = connect({ host: '127.0.0.1', port, servername: 'site.test', ca: pki.ca, ALPNProtocols: ['http/1.1'] });
      const got = await new Promise<string>((resolve) => {
        let out = '';
        s.on('data', (d: Buffer) => (out += d.toString('latin1')));
        s.on('close', () => resolve(out));
        s.on('error', () => {});
        s.write(Buffer.from(raw, 'latin1'));
      });
      assert.match(got, new RegExp(`^HTTP/1.1 ${status} `), JSON.stringify(raw));
    }
    assert.equal(upstreamSeen.length, before);
  });

  test('curl --http2 fetches through the proxy', { skip: curlH2 ?? false }, async () => {
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const p = spawn('curl', ['-sS', '--http2', '--cacert', pki.caFile, '--resolve', `site.test:${port}:127.0.0.1`, '-o', '-', '-w', '\n%{http_version} %{http_code}', `https://site.test:${port}/curl`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.on('exit', (code) => resolve({ code, stdout }));
    });
    assert.equal(out.code, 0);
    assert.match(out.stdout, /"url":"\/curl"/);
    assert.match(out.stdout, /\n2 200$/);
  });
});

describe('HTTP/2 request translation (RFC 9113 8.2-8.3)', async () => {
  const { translateH2Request } = await import('../src/codec/h2-request.js');
  const limits = { maxHeaders: 100, maxHeaderBytes: 16384, maxRequestLine: 4094, maxFieldBytes: 8190 };
  const base = [':method', 'GET', ':scheme', 'https', ':path', '/p?q=1', ':authority', 'a.test'];
  const codeOf = (raw: string[], endStream = true): string => {
    try {
      translateH2Request(raw, endStream, limits);
      return 'ok';
    } catch (err) {
      return (err as { code: string }).code;
    }
  };

  test('a request becomes one request head (host, joined cookies, framing) that goes upstream as HTTP/1.1', () => {
    const info = { peer: '192.0.2.1', trusted: false, proto: 'https' as const, via: 'tsgi-proxy' };
    const t = translateH2Request([...base, 'cookie', 'a=1', 'accept', '*/*', 'cookie', 'b=2'], true, limits);
    assert.equal(t.head.host, 'a.test');
    assert.equal(t.endStream, true);
    assert.equal(
      buildUpstreamHead(t.head, info),
      'GET /p?q=1 HTTP/1.1\r\nHost: a.test\r\naccept: */*\r\ncookie: a=1; b=2\r\n' +
        'X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: a.test\r\nVia: 1.1 tsgi-proxy\r\n\r\n',
    );
    const post = translateH2Request([':method', 'POST', ':scheme', 'https', ':path', '/u', ':authority', 'a.test'], false, limits);
    assert.equal(post.head.chunked, true);
    assert.match(buildUpstreamHead(post.head, info), /Transfer-Encoding: chunked\r\n/);
    const sized = translateH2Request([':method', 'POST', ':scheme', 'https', ':path', '/u', ':authority', 'a.test', 'content-length', '5'], false, limits);
    assert.equal(sized.head.chunked, false);
    assert.equal(sized.head.contentLength, 5);
    assert.match(buildUpstreamHead(sized.head, info), /content-length: 5\r\n/);
  });

  test('malformed requests are refused with the right code', () => {
    assert.equal(codeOf([...base, 'connection', 'keep-alive']), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([...base, 'transfer-encoding', 'chunked']), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([...base, 'upgrade', 'websocket']), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([...base, 'te', 'gzip']), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([...base, 'te', 'trailers']), 'ok');
    assert.equal(codeOf([...base, 'X-Upper', 'v']), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([...base, 'x-a', ' padded']), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([...base, 'x-a', 'a\x01b']), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([...base, ':method', 'GET']), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([':method', 'GET', ':path', '/', ':authority', 'a']), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([...base, 'x', 'y', ':status', '200']), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([':method', 'GET', ':scheme', 'https', ':path', '/', ':authority', 'a.test', ':protocol', 'websocket']), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([...base, 'content-length', '1', 'content-length', '2'], false), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([...base, 'content-length', '3'], true), 'PX_ERR_BAD_REQUEST');
    assert.equal(codeOf([':method', 'CONNECT', ':authority', 'a.test:443']), 'PX_ERR_NOT_IMPLEMENTED');
    assert.equal(codeOf([...base, ...Array.from({ length: 101 }, (_, i) => [`x-${i}`, 'v']).flat()]), 'PX_ERR_HEADERS_TOO_LARGE');
    assert.equal(codeOf([':method', 'GET', ':scheme', 'https', ':path', '/', ':authority', 'user@a.test']), 'PX_ERR_BAD_REQUEST');
  });
});
