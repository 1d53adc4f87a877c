// The Node private fields the proxy relies on (src/edge/node-internals.ts), on
// the Node running this test: CI runs it on Node 22 and 24.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http2 from 'node:http2';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { EdgeListener } from '../src/edge/edge-listener.ts';
import { DEFAULT_CIPHERS, TlsContexts } from '../src/edge/tls-contexts.ts';
import { makePki } from './edge-certs.ts';

test(`an h2 session starts on the listener's own server-side TLS socket (Node ${process.versions.node})`, async (t) => {
  const pki = makePki();
  const cert = pki.issue('site', ['site.test']);
  const tls = new TlsContexts({ certs: [cert], minVersion: 'TLSv1.2', ciphers: DEFAULT_CIPHERS, http2: true, handshakeTimeout: 2000 });
  const listener = new EdgeListener({
    proxyProtocol: false,
    proxyProtocolTimeout: 1000,
    tls,
    onHttp1: (socket) => socket.destroy(),
    onH2Stream: (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end('h2 ok');
    },
  });
  const { port } = await listener.listen('127.0.0.1', 0);
  t.after(async () => {
    listener.destroySessions();
    await listener.close();
    pki.cleanup();
  });
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: pki.ca, servername: 'site.test' });
  try {
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no h2 answer in 5 s: the session never started')), 5000);
      const req = session.request({ ':method': 'GET', ':path': '/', ':authority': 'site.test' });
      let status = 0;
      let body = '';
      req.on('response', (h) => (status = Number(h[':status'])));
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body += d));
      req.on('end', () => {
        clearTimeout(timer);
        resolve({ status, body });
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(reply, { status: 200, body: 'h2 ok' });
  } finally {
    session.close();
  }
});

test(`a plain listener's client socket reads through onread and still behaves as a net.Socket (Node ${process.versions.node})`, async (t) => {
  const seen: { socket: Socket; data: Buffer[]; ended: boolean }[] = [];
  const listener = new EdgeListener({
    proxyProtocol: false,
    proxyProtocolTimeout: 1000,
    tls: null,
    onHttp1: (socket) => {
      const entry = { socket, data: [] as Buffer[], ended: false };
      seen.push(entry);
      socket.on('data', (d: Buffer) => entry.data.push(d));
      socket.on('end', () => {
        entry.ended = true;
        // allowHalfOpen: the server can still answer after the client's FIN.
        socket.end(`got ${Buffer.concat(entry.data).toString('latin1')}`);
      });
    },
    onH2Stream: () => {},
  });
  let accepted: Socket | null = null;
  listener.server.on('connection', (s: Socket) => (accepted = s));
  const { port } = await listener.listen('127.0.0.1', 0);
  t.after(() => listener.close());

  const client = connect({ port, host: '127.0.0.1' });
  await once(client, 'connect');
  await until(() => seen.length === 1);
  const entry = seen[0]!;
  assert.notEqual(entry.socket, accepted, 'the handle moved to a new socket (the onread path is active on this Node)');
  assert.equal(await connections(listener), 1);
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
  // Each chunk is the caller's own (copied out of the shared read buffer).
  const first = entry.data[0]!;
  client.write('three');
  await until(() => Buffer.concat(entry.data).toString() === 'one two three');
  assert.equal(first.toString(), 'one ');

  let closed = false;
  const serverClosed = listener.close().then(() => (closed = true));
  client.end();
  const [reply] = await Promise.all([text(client), serverClosed]);
  assert.equal(reply, 'got one two three');
  assert.ok(entry.ended);
  assert.ok(closed, 'server.close() resolved once the adopted connection closed');
  assert.equal(await connections(listener), 0);
});

function connections(listener: EdgeListener): Promise<number> {
  return new Promise((resolve, reject) => listener.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
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
