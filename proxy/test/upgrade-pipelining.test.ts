import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { rawExchange } from '@tsgi/test-support';
import { basicConfig, startProxy, type ProxyProc } from './helpers.ts';

/**
 * A keep-alive HTTP/1.1 upstream on raw sockets that never upgrades: `/refuse` gets 426, anything else 200; every
 * body says `<method> <path> <body bytes>`, so the client sees which request each answer is for. It reads
 * Content-Length bodies and pipelined requests.
 */
async function startRefusingUpstream(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        buf = buf.subarray(end + 4 + length);
        const [method, path] = head.split(' ');
        const body = `${method} ${path} ${length}`;
        const status = path === '/refuse' ? '426 Upgrade Required' : '200 OK';
        socket.write(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

const H = 'Host: x\r\n';
const UPGRADE = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

/** Pipelined bytes on one connection, and the bodies of the answers expected for them, in order. */
const SHAPES: [string, string, string[]][] = [
  ['the issue: GET /s with Upgrade answered 200, then GET /tail', `GET /s HTTP/1.1\r\n${H}${UPGRADE}\r\nGET /tail HTTP/1.1\r\n${H}\r\n`, ['GET /s 0', 'GET /tail 0']],
  ['a body-carrying request behind the upgrade', `GET /s HTTP/1.1\r\n${H}${UPGRADE}\r\nPOST /tail HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello`, ['GET /s 0', 'POST /tail 5']],
  ['a 426 answer to the upgrade', `GET /refuse HTTP/1.1\r\n${H}${UPGRADE}\r\nGET /tail HTTP/1.1\r\n${H}\r\n`, ['GET /refuse 0', 'GET /tail 0']],
  ['two pipelined requests behind it', `GET /s HTTP/1.1\r\n${H}${UPGRADE}\r\nGET /one HTTP/1.1\r\n${H}\r\nGET /two HTTP/1.1\r\n${H}\r\n`, ['GET /s 0', 'GET /one 0', 'GET /two 0']],
  ['an upgrade request with a body, then another request', `POST /s HTTP/1.1\r\n${H}${UPGRADE}Content-Length: 3\r\n\r\nabcGET /tail HTTP/1.1\r\n${H}\r\n`, ['POST /s 3', 'GET /tail 0']],
  ['two refused upgrades in a row, then a request', `GET /s HTTP/1.1\r\n${H}${UPGRADE}\r\nGET /refuse HTTP/1.1\r\n${H}${UPGRADE}\r\nGET /tail HTTP/1.1\r\n${H}\r\n`, ['GET /s 0', 'GET /refuse 0', 'GET /tail 0']],
];

let upstream: Awaited<ReturnType<typeof startRefusingUpstream>>;
let proxy: ProxyProc;
before(async () => {
  upstream = await startRefusingUpstream();
  // A long keep-alive: a dropped pipelined request shows as a missing answer, not as a close.
  proxy = await startProxy(basicConfig([upstream.port], 'timeouts: { keepAlive: 30s }'));
});
after(async () => {
  await proxy?.kill();
  upstream?.server.close();
});

// The upstream answers an Upgrade request with something other than 101: the bytes the client pipelined behind
// it are the next request, as in tsgi-appserver and nginx. Before, the proxy dropped them and the client waited
// for the keep-alive timeout.
for (const [name, bytes, bodies] of SHAPES) {
  test(`a refused upgrade keeps the pipelined requests behind it: ${name}`, async () => {
    const reply = await rawExchange(proxy.port, bytes, { stopAfter: bodies.length, timeoutMs: 5000 });
    assert.deepEqual(
      reply.responses.map((r) => r.body.toString('latin1')),
      bodies,
      reply.text,
    );
    assert.equal(reply.closedByServer, false, 'the connection stays open for more');
  });
}
