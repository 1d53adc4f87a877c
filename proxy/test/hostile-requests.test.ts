import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { basicConfig, get, raw, startProxy, startUpstream, upstreamStats, type Proc, type ProxyProc } from './helpers.ts';

// The hostile-request corpus (as for the gateway, SRV-4/SRV-6): each is refused
// at the edge with its status, the connection is closed, nothing reaches the
// upstream (it counts what it sees) and the proxy keeps serving.
const H = 'Host: example.test\r\n';
const CASES: Array<[string, string, number]> = [
  ['Content-Length with Transfer-Encoding', `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['repeated identical Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`, 400],
  ['differing Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 40\r\n\r\nabc`, 400],
  ['Content-Length list', `POST / HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc`, 400],
  ['negative Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, 400],
  ['plus-signed Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\nabc`, 400],
  ['non-hex chunk size', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, 400],
  ['overflowing chunk size', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n0\r\n\r\n`, 400],
  ['chunk data longer than its size', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n`, 400],
  ['bare LF in chunk framing', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n`, 400],
  ['control byte in chunk extension', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;x=\x01\r\nabc\r\n0\r\n\r\n`, 400],
  ['Transfer-Encoding not ending in chunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n`, 400],
  ['repeated Transfer-Encoding', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['unknown transfer coding', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 501],
  ['Transfer-Encoding on HTTP/1.0', `POST / HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['obs-fold', `GET / HTTP/1.1\r\n${H}X-Folded: a\r\n  b\r\n\r\n`, 400],
  ['bare LF line endings', `GET / HTTP/1.1\n${H.replace('\r\n', '\n')}\n`, 400],
  ['bare CR in a value', `GET / HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`, 400],
  ['NUL in a value', `GET / HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`, 400],
  ['space before colon', `GET / HTTP/1.1\r\nHost : example.test\r\n\r\n`, 400],
  ['invalid header name', `GET / HTTP/1.1\r\n${H}X(A): b\r\n\r\n`, 400],
  ['missing Host on HTTP/1.1', `GET / HTTP/1.1\r\nX-A: b\r\n\r\n`, 400],
  ['two Host fields', `GET / HTTP/1.1\r\n${H}Host: other.test\r\n\r\n`, 400],
  ['invalid Host', `GET / HTTP/1.1\r\nHost: exa mple/\r\n\r\n`, 400],
  ['invalid method', `G(T / HTTP/1.1\r\n${H}\r\n`, 400],
  ['control byte in target', `GET /a\x01b HTTP/1.1\r\n${H}\r\n`, 400],
  ['malformed request line', `GET  / HTTP/1.1\r\n${H}\r\n`, 400],
  ['bad version', `GET / HTTP/1.x\r\n${H}\r\n`, 400],
  ['HTTP/2 preface on the HTTP/1.1 port', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505],
  ['CONNECT', `CONNECT example.test:443 HTTP/1.1\r\n${H}\r\n`, 501],
  ['over-long request line', `GET /${'a'.repeat(9000)} HTTP/1.1\r\n${H}\r\n`, 414],
  ['over-long header line', `GET / HTTP/1.1\r\n${H}X-Big: ${'b'.repeat(20_000)}\r\n\r\n`, 431],
  ['too many header fields', `GET / HTTP/1.1\r\n${H}${Array.from({ length: 120 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`, 431],
  ['declared body over the limit', `POST / HTTP/1.1\r\n${H}Content-Length: 2048\r\n\r\n`, 413],
  ['chunked body over the limit', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n800\r\n${'x'.repeat(2048)}\r\n0\r\n\r\n`, 413],
  // Only the chunk-size line arrives: the announced size alone is over the limit, refused before any data.
  ['chunk announcing more than the limit, no data yet', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n7d0\r\n`, 413],
  ['chunk announcing more than the limit, some data', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n7d0\r\n${'x'.repeat(100)}`, 413],
  ['unsupported Expect', `POST / HTTP/1.1\r\n${H}Expect: something\r\nContent-Length: 1\r\n\r\nx`, 417],
  ['smuggled second request behind duplicate Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 0\r\nContent-Length: 37\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`, 400],
];

let upstream: Proc & { port: number };
let proxy: ProxyProc;

before(async () => {
  upstream = await startUpstream();
  proxy = await startProxy(basicConfig([upstream.port], 'limits: { maxBodyBytes: 1024 }'));
});

after(async () => {
  await proxy?.kill();
  await upstream?.kill();
});

for (const [name, bytes, status] of CASES) {
  test(`refuses ${name} with ${status} and closes`, async () => {
    const reply = await raw(proxy.port, bytes);
    assert.match(reply, new RegExp(`^HTTP/1\\.1 ${status} `), `got: ${JSON.stringify(reply.slice(0, 200))}`);
    assert.match(reply, /\r\nconnection: close\r\n/i);
    assert.match(reply, /\r\nx-proxy-error: PX_ERR_[A-Z_]+\r\n/);
  });
}

test('nothing refused reached the upstream, and the proxy still serves', async () => {
  assert.equal((await upstreamStats(upstream.port)).requests, 0);
  const ok = await get(proxy.port, '/after');
  assert.equal(ok.status, 200);
  assert.equal((await upstreamStats(upstream.port)).requests, 1);
});

test('a slowloris head is answered 408 after the client header timeout', async () => {
  const slow = await startProxy(basicConfig([upstream.port], 'timeouts: { clientHeader: 300ms }'));
  try {
    const reply = await raw(slow.port, `GET / HTTP/1.1\r\n${H}X-Slow: `, 10_000);
    assert.match(reply, /^HTTP\/1\.1 408 /);
  } finally {
    await slow.kill();
  }
});
