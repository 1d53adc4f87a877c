import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import WebSocket from 'ws';
import { app, onServer } from '../src/app.js';

// The app on a real socket, wired the way tsgi-appserver wires each worker:
// the Express app as the request listener, onServer() before listen.
async function listen(): Promise<{ base: string; close: () => Promise<void> }> {
  const server = createServer(app);
  onServer(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    base: `127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test('the seed routes over HTTP', async (t) => {
  const { base, close } = await listen();
  t.after(close);
  const root = await fetch(`http://${base}/`);
  assert.equal(root.status, 200);
  assert.equal(await root.text(), '<p>Hello, World!</p>');
  assert.ok(root.headers.get('x-served-by'));
  assert.equal(await (await fetch(`http://${base}/post/5`)).text(), 'Post 5');
  assert.equal((await fetch(`http://${base}/post/five`)).status, 404);
  assert.match(await (await fetch(`http://${base}/hello/x`)).text(), /<h1>Hello x!<\/h1>/);
  assert.match(await (await fetch(`http://${base}/hello/${encodeURIComponent('<b>')}`)).text(), /<h1>Hello &lt;b&gt;!<\/h1>/);
  assert.deepEqual(await (await fetch(`http://${base}/api/json`)).json(), { message: 'Hello, World!', framework: 'express' });
});

test('the WebSocket route echoes', async (t) => {
  const { base, close } = await listen();
  const socket = new WebSocket(`ws://${base}/ws`);
  t.after(async () => {
    socket.terminate();
    await close();
  });
  await once(socket, 'open');
  socket.send('ping');
  const [data] = (await once(socket, 'message')) as [Buffer];
  assert.equal(data.toString(), 'ping');
});
