// The Node private fields the appserver relies on (src/node-internals.ts), on
// the Node running this test: CI runs it on Node 22 and 24.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { request } from 'undici';
import { dropStrayHandleAcks, serializedHeader, socketFd, stopReading } from '../src/node-internals.ts';

test(`headers given straight to writeHead() are read back from the sent head (Node ${process.versions.node})`, async (t) => {
  let captured: ServerResponse | undefined;
  const server = createServer((_req, res) => {
    // Fastify's way: the headers never enter getHeader()'s table.
    res.writeHead(200, { 'Content-Length': '5', 'X-Route': 'fast path' });
    res.end('hello');
    captured = res;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const res = await request(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
  assert.equal(await res.body.text(), 'hello');
  assert.equal(captured!.getHeader('content-length'), undefined, 'not in the public table');
  assert.equal(serializedHeader(captured!, 'content-length'), '5');
  assert.equal(serializedHeader(captured!, 'X-Route'), 'fast path');
  assert.equal(serializedHeader(captured!, 'x-missing'), undefined);
});

test(`an accepted socket's fd is readable while the 'connection' event runs (Node ${process.versions.node})`, async (t) => {
  const fds: Array<number | undefined> = [];
  const server = createNetServer((socket) => {
    fds.push(socketFd(socket));
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  client.on('error', () => {});
  await new Promise((resolve) => client.once('close', resolve));
  assert.equal(fds.length, 1);
  assert.ok(typeof fds[0] === 'number' && fds[0] > 2, `fd ${fds[0]}`);
});

test(`a handle sent to a child still flows through the wrapped internalMessage listeners (Node ${process.versions.node})`, async (t) => {
  // The child says whether the socket arrived; a stray NODE_HANDLE_ACK injected before is dropped, not an assertion.
  const script = "process.on('message', (m, s) => { process.send(s ? 'got' : 'none'); s?.destroy(); })";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  t.after(() => child.kill());
  dropStrayHandleAcks(child);
  child.emit('internalMessage', { cmd: 'NODE_HANDLE_ACK' }, undefined);
  const server = createNetServer({ pauseOnConnect: true }, (socket) => child.send('sock', socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const reply = new Promise((resolve) => child.once('message', resolve));
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  client.on('error', () => {});
  t.after(() => client.destroy());
  assert.equal(await reply, 'got');
});

test(`stopReading leaves later bytes in the kernel: bytesRead stops where the handle was stopped (Node ${process.versions.node})`, async (t) => {
  let accepted: Socket | undefined;
  const firstChunk = new Promise<Buffer>((resolve) => {
    const server = createNetServer({ pauseOnConnect: true }, (socket) => {
      accepted = socket;
      socket.once('data', (chunk: Buffer) => {
        stopReading(socket);
        resolve(chunk);
      });
      socket.resume();
    });
    server.listen(0, '127.0.0.1', () => {
      const client = connect((server.address() as { port: number }).port, '127.0.0.1', () => {
        client.write('first');
        // Written once the server stopped reading: it must stay in the kernel.
        void firstChunk.then(() => setTimeout(() => client.write('second'), 50));
      });
      t.after(() => {
        client.destroy();
        server.close();
      });
    });
  });
  assert.equal((await firstChunk).toString(), 'first');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(accepted!.bytesRead, 5, 'nothing read after stopReading');
  assert.equal(accepted!.readableLength, 0);
});
