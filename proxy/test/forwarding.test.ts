import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { basicConfig, get, raw, startProxy, startUpstream, upstreamStats, type Proc, type ProxyProc } from './helpers.ts';

let upstream: Proc & { port: number };
let proxy: ProxyProc;
let trusting: ProxyProc;

before(async () => {
  upstream = await startUpstream();
  proxy = await startProxy(basicConfig([upstream.port]));
  trusting = await startProxy(basicConfig([upstream.port], 'forwarded: { trust: ["127.0.0.0/8"] }'));
});

after(async () => {
  await proxy?.kill();
  await trusting?.kill();
  await upstream?.kill();
});

test('hop-by-hop request fields, and fields named in Connection, are not forwarded', async () => {
  const reply = await raw(
    proxy.port,
    'GET /echo HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive, X-Private\r\nX-Private: secret\r\nKeep-Alive: timeout=9\r\n' +
      'TE: trailers\r\nProxy-Authorization: Basic eA==\r\nProxy-Connection: keep-alive\r\nX-Kept: yes\r\nConnection: close\r\n\r\n',
  );
  assert.match(reply, /^HTTP\/1\.1 200 /);
  const seen = (await upstreamStats(upstream.port)).last!.headers;
  for (const name of ['x-private', 'keep-alive', 'te', 'proxy-authorization', 'proxy-connection']) assert.equal(seen[name], undefined, name);
  assert.notEqual(seen.connection, 'close'); // the upstream connection stays pooled
  assert.equal(seen['x-kept'], 'yes');
  assert.equal(seen.host, 'a.test');
  assert.equal(seen.via, '1.1 tsgi-proxy');
});

test('hop-by-hop response fields are stripped, end-to-end ones kept, Via added', async () => {
  const r = await get(proxy.port, '/hop');
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-secret-hop'], undefined);
  assert.equal(r.headers['keep-alive'], undefined);
  assert.equal(r.headers['proxy-authenticate'], undefined);
  assert.equal(r.headers['x-end-to-end'], 'kept');
  assert.equal(r.headers.via, '1.1 tsgi-proxy');
  assert.equal(r.body, 'hop\n');
});

test('X-Forwarded-* from an untrusted client are replaced, not passed on', async () => {
  await get(proxy.port, '/echo', { 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.test', Forwarded: 'for=6.6.6.6' });
  const seen = (await upstreamStats(upstream.port)).last!.headers;
  assert.equal(seen['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen['x-forwarded-proto'], 'http');
  assert.equal(seen['x-forwarded-host'], `127.0.0.1:${proxy.port}`);
  assert.equal(seen.forwarded, undefined);
});

test('a trusted peer\'s X-Forwarded-For is kept and the peer appended', async () => {
  await get(trusting.port, '/echo', { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' });
  const seen = (await upstreamStats(upstream.port)).last!.headers;
  assert.equal(seen['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
  assert.equal(seen['x-forwarded-proto'], 'https');
});

test('keep-alive and pipelined requests on one connection are answered in order', async () => {
  const reply = await raw(
    proxy.port,
    'GET /echo?n=1 HTTP/1.1\r\nHost: a\r\n\r\nGET /echo?n=2 HTTP/1.1\r\nHost: a\r\n\r\nGET /echo?n=3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  );
  const urls = [...reply.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(urls, ['/echo?n=1', '/echo?n=2', '/echo?n=3']);
});

test('HTTP/1.0 client gets a close-delimited or length-framed answer', async () => {
  const reply = await raw(proxy.port, 'GET /download?bytes=10 HTTP/1.0\r\n\r\n');
  assert.match(reply, /^HTTP\/1\.1 200 /);
  assert.match(reply, /\r\n\r\naaaaaaaaaa$/);
});

test('HEAD keeps Content-Length and sends no body', async () => {
  const reply = await raw(proxy.port, 'HEAD /download?bytes=1234 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
  assert.match(reply, /content-length: 1234\r\n/i);
  assert.ok(reply.endsWith('\r\n\r\n'));
});

test('POST bodies (length and chunked) reach the upstream intact', async () => {
  const a = await get(proxy.port, '/echo', { 'content-type': 'text/plain' }, 'POST', 'x'.repeat(100_000));
  assert.equal(JSON.parse(a.body).bytes, 100_000);
  const b = await raw(proxy.port, 'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n');
  assert.match(b, /"bytes":11/);
});

test('Expect: 100-continue gets 100 Continue before the body is sent', async () => {
  const result = await new Promise<{ continued: boolean; body: string }>((resolve, reject) => {
    let continued = false;
    const req = request({ host: '127.0.0.1', port: proxy.port, path: '/echo', method: 'POST', agent: false, headers: { expect: '100-continue', 'content-length': '5' } });
    req.on('continue', () => {
      continued = true;
      req.end('hello');
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ continued, body }));
    });
    req.on('error', reject);
  });
  assert.equal(result.continued, true);
  assert.equal(JSON.parse(result.body).bytes, 5);
});

test('WebSocket upgrade is passed through and echoes', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const echoed = await new Promise<string>((resolve) => {
    ws.once('message', (d) => resolve(d.toString()));
    ws.send('ping through the proxy');
  });
  assert.equal(echoed, 'ping through the proxy');
  const big = Buffer.alloc(300_000, 7);
  const back = await new Promise<Buffer>((resolve) => {
    ws.once('message', (d) => resolve(d as Buffer));
    ws.send(big);
  });
  assert.equal(back.length, big.length);
  ws.close();
  await new Promise((r) => ws.once('close', r));
});

test('unknown host/path with no route gets 404 naming the cause', async () => {
  const p = await startProxy(
    basicConfig([upstream.port]).replace('routes: [{ upstream: app }]', 'routes: [{ host: "api.test", path: "/v1", upstream: app }]'),
  );
  try {
    const miss = await get(p.port, '/v1/x', { host: 'other.test' });
    assert.equal(miss.status, 404);
    assert.equal(miss.headers['x-proxy-error'], 'PX_ERR_NO_ROUTE');
    assert.equal((await get(p.port, '/v1/x', { host: 'api.test' })).status, 200);
    assert.equal((await get(p.port, '/v10', { host: 'api.test' })).status, 404);
  } finally {
    await p.kill();
  }
});
