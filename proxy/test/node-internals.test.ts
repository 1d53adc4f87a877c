// The Node private fields the proxy relies on (src/listener/node-internals.ts), on
// the Node running this test: CI runs it on Node 22 and 24.
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { EdgeListener } from '../src/listener/edge-listener.ts';
import { TlsContexts } from '../src/listener/tls-contexts.ts';
import { DEFAULT_CIPHERS } from '../src/config/edge-defaults.ts';
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

test(`a plain listener's client sockets read through onread (Node ${process.versions.node})`, async (t) => {
  const handed: Socket[] = [];
  const listener = new EdgeListener({
    proxyProtocol: false,
    proxyProtocolTimeout: 1000,
    tls: null,
    onHttp1: (socket) => {
      handed.push(socket);
      socket.on('data', (d: Buffer) => socket.end(`got ${d.toString('latin1')}`));
    },
    onH2Stream: () => {},
  });
  const accepted: Socket[] = [];
  listener.server.on('connection', (s: Socket) => accepted.push(s));
  const { port } = await listener.listen('127.0.0.1', 0);
  t.after(() => listener.close());
  const client = connect({ port, host: '127.0.0.1' });
  client.write('hi');
  let reply = '';
  client.setEncoding('latin1');
  for await (const chunk of client) reply += chunk as string;
  assert.equal(reply, 'got hi');
  assert.equal(handed.length, 1);
  assert.notEqual(handed[0], accepted[0], 'the accepted handle moved to an onread socket (@tsgi/http1 node-internals.ts)');
});
