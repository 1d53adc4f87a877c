import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { soleWorkerUpstreams, basicConfig, get, raw, startProxy, startUpstream, until, upstreamStats, type ProxyProc } from './helpers.ts';

/**
 * Raw upstreams the proxy must not trust: an in-process node:net server that
 * answers every request head it reads with `answer(socket, n, head)` (n:
 * the request's number on this server), so the bytes on the wire are exactly
 * what the test wrote.
 */
interface RawUpstream {
  port: number;
  requests: () => number;
  close(): Promise<void>;
}

async function rawUpstream(answer: (sock: Socket, n: number, head: string) => void): Promise<RawUpstream> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let head = '';
    sock.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      // One answer per complete request head; these tests send no request bodies.
      for (let end = head.indexOf('\r\n\r\n'); end >= 0; end = head.indexOf('\r\n\r\n')) {
        const one = head.slice(0, end);
        head = head.slice(end + 4);
        answer(sock, ++requests, one);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface AccessLine {
  msg: string;
  target: string;
  status: number;
  bytes: number;
  error?: string;
  attempts: number;
}

/** The proxy's access log lines for `target` (JSON lines on its stdout). */
function accessLines(proxy: ProxyProc, target: string): AccessLine[] {
  const out: AccessLine[] = [];
  for (const line of proxy.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    const rec = JSON.parse(line) as AccessLine;
    if (rec.msg === 'access' && rec.target === target) out.push(rec);
  }
  return out;
}

async function accessLine(proxy: ProxyProc, target: string): Promise<AccessLine> {
  await until(() => accessLines(proxy, target).length > 0, 10_000, `the access line for ${target}`);
  return accessLines(proxy, target)[0]!;
}

function withAccessLog(yaml: string): string {
  return yaml.replace('accessLog: false', 'accessLog: true');
}

const BAD_CHUNKS = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n';

test('bad chunk framing before any response byte reached the client: 502, counted as an endpoint failure, logged as 502', async () => {
  const up = await rawUpstream((sock) => sock.write(BAD_CHUNKS));
  const proxy = await startProxy(withAccessLog(basicConfig([up.port], 'debug: true', 'passive: { maxFails: 0 }')));
  try {
    const r = await get(proxy.port, '/bad-chunks');
    assert.equal(r.status, 502);
    assert.equal(r.headers['x-proxy-error'], 'PX_ERR_UPSTREAM_BAD_RESPONSE');
    assert.match(r.body, /malformed upstream response/);
    const line = await accessLine(proxy, '/bad-chunks');
    assert.equal(line.status, 502);
    assert.equal(line.error, 'PX_ERR_UPSTREAM_BAD_RESPONSE');
    const ep = (await soleWorkerUpstreams(proxy.admin!))['app']?.endpoints[0];
    assert.ok(ep, 'the admin view lists the endpoint');
    assert.ok(ep.failures >= 1, `endpoint failures: ${ep.failures}`);
    // The proxy still answers on the same listener.
    assert.equal((await get(proxy.port, '/bad-chunks')).status, 502);
  } finally {
    await proxy.kill();
    await up.close();
  }
});

test('bad chunk framing before any byte went out: an idempotent request is retried on another endpoint, a POST is not', async () => {
  const bad = await rawUpstream((sock) => sock.write(BAD_CHUNKS));
  const good = await startUpstream();
  const proxy = await startProxy(withAccessLog(basicConfig([bad.port, good.port], 'debug: true', 'passive: { maxFails: 0 }')));
  try {
    for (let i = 0; i < 6; i++) {
      const r = await get(proxy.port, `/echo?i=${i}`);
      assert.equal(r.status, 200, `GET ${i}: ${r.status} ${r.body}`);
    }
    assert.ok(bad.requests() >= 1, 'round robin sent some GETs to the bad endpoint');
    const retried = (await Promise.all(Array.from({ length: 6 }, (_, i) => accessLine(proxy, `/echo?i=${i}`)))).filter((l) => l.attempts > 1);
    assert.equal(retried.length, bad.requests(), 'every GET the bad endpoint answered was retried');
    for (const l of retried) assert.equal(l.status, 200);

    // A POST may have had effects upstream: never retried, answered 502.
    const before = bad.requests();
    const goodBefore = (await upstreamStats(good.port)).requests;
    let posts502 = 0;
    for (let i = 0; i < 4; i++) {
      const r = await get(proxy.port, `/post?i=${i}`, {}, 'POST');
      if (r.status === 502) {
        posts502++;
        assert.equal(r.headers['x-proxy-error'], 'PX_ERR_UPSTREAM_BAD_RESPONSE');
      } else assert.equal(r.status, 200);
    }
    const postsToBad = bad.requests() - before;
    assert.ok(postsToBad >= 1, 'round robin sent some POSTs to the bad endpoint');
    assert.equal(posts502, postsToBad, 'each POST the bad endpoint answered got a 502, none retried');
    assert.equal((await upstreamStats(good.port)).requests - goodBefore, 4 - postsToBad, 'no POST went to a second endpoint');
  } finally {
    await proxy.kill();
    await bad.close();
    await good.kill();
  }
});

test('chunked bodies that arrive with the head: good framing relayed, bad framing 502, for HTTP/1.1, HTTP/1.0 (de-chunked) and gzip clients', async () => {
  const good = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
  // A valid first chunk, then bad framing in the same read: nothing of it may reach the client.
  const bad = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n';
  const up = await rawUpstream((sock, _n, head) => sock.write(head.startsWith('GET /good') ? good : bad));
  const proxy = await startProxy(basicConfig([up.port], 'compression: { enabled: true, minBytes: 1 }\ndebug: true', 'retries: { attempts: 0 }'));
  try {
    const plain = await get(proxy.port, '/good');
    assert.equal(plain.status, 200);
    assert.equal(plain.body, 'hello world');
    const old = await raw(proxy.port, 'GET /good HTTP/1.0\r\nHost: a\r\n\r\n');
    assert.match(old, /^HTTP\/1\.1 200 /);
    assert.equal(old.slice(old.indexOf('\r\n\r\n') + 4), 'hello world');
    const zipped = await new Promise<Buffer>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxy.port, path: '/good', headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => {
        assert.equal(res.headers['content-encoding'], 'gzip');
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve(Buffer.concat(parts)));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(gunzipSync(zipped).toString(), 'hello world');

    const r = await get(proxy.port, '/bad');
    assert.equal(r.status, 502);
    assert.equal(r.headers['x-proxy-error'], 'PX_ERR_UPSTREAM_BAD_RESPONSE');
    assert.doesNotMatch(r.body, /hello/);
    const old502 = await raw(proxy.port, 'GET /bad HTTP/1.0\r\nHost: a\r\n\r\n');
    assert.match(old502, /^HTTP\/1\.1 502 [^]*x-proxy-error: PX_ERR_UPSTREAM_BAD_RESPONSE\r\n/);
    assert.doesNotMatch(old502, /hello/);
    const gz502 = await get(proxy.port, '/bad', { 'accept-encoding': 'gzip' });
    assert.equal(gz502.status, 502);
    assert.equal(gz502.headers['x-proxy-error'], 'PX_ERR_UPSTREAM_BAD_RESPONSE');
    // The connection-level state is clean after those: the proxy keeps answering.
    assert.equal((await get(proxy.port, '/good')).body, 'hello world');
  } finally {
    await proxy.kill();
    await up.close();
  }
});

test('bad chunk framing after the head went out: the client connection is cut, logged with the real status and the error', async () => {
  let held: Socket | null = null;
  const up = await rawUpstream((sock) => {
    held = sock;
    sock.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
  });
  const proxy = await startProxy(withAccessLog(basicConfig([up.port])));
  try {
    const outcome = await new Promise<{ status: number; body: string; complete: boolean }>((resolve) => {
      const req = request({ host: '127.0.0.1', port: proxy.port, path: '/late-bad', agent: false }, (res) => {
        let body = '';
        let sentBad = false;
        res.setEncoding('latin1');
        res.on('data', (d: string) => {
          body += d;
          // The first body bytes reached the client: now break the framing.
          if (!sentBad && held !== null) {
            sentBad = true;
            held.write('zz\r\nworld\r\n');
          }
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, complete: res.complete }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, body, complete: false }));
        res.on('aborted', () => resolve({ status: res.statusCode ?? 0, body, complete: false }));
      });
      req.on('error', () => resolve({ status: 0, body: '', complete: false }));
      req.end();
    });
    assert.equal(outcome.status, 200);
    assert.equal(outcome.body, 'hello');
    assert.equal(outcome.complete, false, 'a cut body must never look complete');
    const line = await accessLine(proxy, '/late-bad');
    assert.equal(line.status, 200);
    assert.equal(line.error, 'PX_ERR_UPSTREAM_BAD_RESPONSE');
  } finally {
    await proxy.kill();
    await up.close();
  }
});

test('a response head with bare LF line endings is refused at once with 502, not after the header timeout', { timeout: 25_000 }, async () => {
  const heads = [
    'HTTP/1.1 200 OK\nContent-Length: 2\n\nhi',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\n\nhi',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\n',
    'HTTP/1.1 200 OK\rContent-Length: 2',
  ];
  // The upstream keeps its socket open, so only the head's own bytes can end the wait.
  const up = await rawUpstream((sock, n) => sock.write(heads[(n - 1) % heads.length] ?? ''));
  const proxy = await startProxy(withAccessLog(basicConfig([up.port], 'debug: true', 'timeouts: { header: 30s }\nretries: { attempts: 0 }')));
  try {
    const started = Date.now();
    for (let i = 0; i < heads.length; i++) {
      const r = await get(proxy.port, `/bare-lf?i=${i}`);
      assert.equal(r.status, 502, `head ${JSON.stringify(heads[i])}`);
      assert.equal(r.headers['x-proxy-error'], 'PX_ERR_UPSTREAM_BAD_RESPONSE');
      assert.match(r.body, /malformed upstream response/);
      const line = await accessLine(proxy, `/bare-lf?i=${i}`);
      assert.equal(line.status, 502);
      assert.equal(line.error, 'PX_ERR_UPSTREAM_BAD_RESPONSE');
    }
    // Ordering, not timing: all answered before even one header timeout could have fired.
    assert.ok(Date.now() - started < 30_000);
  } finally {
    await proxy.kill();
    await up.close();
  }
});
