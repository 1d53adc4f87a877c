import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { header, httpRequest, rawExchange, startProcess } from '@tsgi/test-support';

/** A TCP server that answers each connection with `respond`. */
async function tcpServer(t: { after(fn: () => unknown): void }, respond: (socket: Socket, request: string) => void): Promise<number> {
  const server: Server = createServer((socket) => {
    let seen = '';
    socket.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      respond(socket, seen);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as { port: number }).port;
}

test('pipelined answers are parsed in order (Content-Length and chunked) and the close is seen', async (t) => {
  const port = await tcpServer(t, (socket, seen) => {
    if (!seen.endsWith('\r\n\r\n')) return;
    socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nX-A: 2\r\n\r\n3\r\nnot\r\n0\r\n\r\n');
  });
  const reply = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(reply.status, 200);
  assert.equal(reply.closedByServer, true);
  assert.deepEqual(reply.responses.map((r) => [r.status, r.body.toString()]), [[200, 'ok'], [404, 'not']]);
  assert.equal(header(reply.responses[1]!, 'X-A'), '1');
});

test('a silent server: the exchange gives up at its time limit and says the server did not close', async (t) => {
  const port = await tcpServer(t, () => undefined);
  const reply = await rawExchange(port, 'GET / HTTP/1.1\r\n', { timeoutMs: 300 });
  assert.equal(reply.closedByServer, false);
  assert.equal(reply.status, 0);
  assert.ok(reply.ms >= 250, `gave up after ${reply.ms} ms`);
});

test('stopAfter returns once the wanted responses came; halfClose sends our FIN', async (t) => {
  let finSeen = false;
  const server = createServer((socket) => {
    socket.on('data', () => socket.write('HTTP/1.1 204 No Content\r\n\r\n'));
    socket.on('end', () => {
      finSeen = true;
      socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const port = (server.address() as { port: number }).port;
  const open = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { stopAfter: 1, settleMs: 50, timeoutMs: 3000 });
  assert.equal(open.responses.length, 1);
  assert.equal(open.closedByServer, false, 'the server kept the connection open');
  const closed = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { halfClose: 20, timeoutMs: 3000 });
  assert.equal(closed.closedByServer, true);
  assert.ok(finSeen);
});

test('httpRequest sends the target as given and keeps repeated fields', async (t) => {
  const port = await tcpServer(t, (socket, seen) => {
    if (!seen.includes('\r\n\r\n')) return;
    const target = seen.split(' ')[1];
    socket.end(`HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: ${target!.length}\r\nConnection: close\r\n\r\n${target}`);
  });
  const reply = await httpRequest(port, '/a/%2e%2e/b');
  assert.equal(reply.body.toString(), '/a/%2e%2e/b');
  assert.deepEqual(reply.headers.get('set-cookie'), ['a=1', 'b=2']);
});

test('startProcess resolves with the port the child prints, and stop() ends it', async () => {
  const script = "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log('PORT '+s.address().port))";
  const proc = await startProcess(process.execPath, ['-e', script], { ready: /PORT (\d+)/ });
  assert.ok(proc.port > 0);
  await proc.stop();
  assert.notEqual(proc.child.exitCode ?? proc.child.signalCode, null);
  await assert.rejects(startProcess(process.execPath, ['-e', 'process.exit(3)'], { ready: /PORT (\d+)/ }), /exited with 3/);
});
