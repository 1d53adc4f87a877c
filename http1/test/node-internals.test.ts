// The Node private fields behind adoptForBufferedReads (src/node-internals.ts),
// on the Node running this test: CI runs it on Node 22 and 24.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { adoptForBufferedReads, isFreshlyAccepted } from '../src/node-internals.ts';

interface Seen {
  accepted: Socket;
  socket: Socket;
  data: Buffer[];
  ended: boolean;
}

/** A server that adopts what it accepts and answers `got <bytes>` once the client half-closes. */
async function startServer(pauseOnConnect: boolean): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer({ allowHalfOpen: true, pauseOnConnect }, (accepted) => {
    const fresh = isFreshlyAccepted(accepted);
    const socket = adoptForBufferedReads(accepted, true);
    const entry: Seen = { accepted, socket, data: [], ended: false };
    seen.push(entry);
    socket.on('data', (d: Buffer) => entry.data.push(d));
    socket.on('end', () => {
      entry.ended = true;
      socket.end(`got ${Buffer.concat(entry.data).toString('latin1')}`);
    });
    if (fresh) socket.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port, seen };
}

test(`a socket accepted paused moves to an onread socket that still behaves as a net.Socket (Node ${process.versions.node})`, async () => {
  const { server, port, seen } = await startServer(true);
  const client = connect({ port, host: '127.0.0.1' });
  await once(client, 'connect');
  await until(() => seen.length === 1);
  const entry = seen[0]!;
  assert.notEqual(entry.socket, entry.accepted, 'the handle moved to a new socket: the onread path is active on this Node');
  assert.equal(await connections(server), 1);
  assert.equal(entry.socket.remoteAddress, '127.0.0.1');

  client.write('one ');
  await until(() => entry.data.length > 0);
  // Paused: bytes wait in the kernel and arrive after resume, in order.
  entry.socket.pause();
  client.write('two ');
  await delay(100);
  assert.equal(Buffer.concat(entry.data).toString(), 'one ');
  entry.socket.resume();
  await until(() => Buffer.concat(entry.data).toString() === 'one two ');
  // Each chunk is the caller's own, not a view of the shared read buffer.
  const first = entry.data[0]!;
  client.write('three');
  await until(() => Buffer.concat(entry.data).toString() === 'one two three');
  assert.equal(first.toString(), 'one ');

  let closed = false;
  const serverClosed = new Promise<void>((resolve) => server.close(() => resolve())).then(() => (closed = true));
  client.end();
  const [reply] = await Promise.all([text(client), serverClosed]);
  assert.equal(reply, 'got one two three', 'allowHalfOpen: the answer goes out after the client FIN');
  assert.ok(entry.ended);
  assert.ok(closed, 'server.close() completed once the adopted connection closed');
});

test('a socket that is already reading (handed over, not accepted paused) is returned as it is', async () => {
  const { server, port, seen } = await startServer(false);
  const client = connect({ port, host: '127.0.0.1' });
  await until(() => seen.length === 1);
  const entry = seen[0]!;
  assert.equal(entry.socket, entry.accepted);
  client.end('hi');
  assert.equal(await text(client), 'got hi');
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function connections(server: Server): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

async function until(check: () => boolean): Promise<void> {
  const stop = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > stop) throw new Error('condition not met in 5 s');
    await delay(5);
  }
}

async function text(socket: Socket): Promise<string> {
  let out = '';
  socket.setEncoding('latin1');
  for await (const chunk of socket) out += chunk as string;
  return out;
}
