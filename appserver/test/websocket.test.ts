import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { io as ioClient } from 'socket.io-client';
import WebSocket from 'ws';
import { FIXTURES, get, metricValue, startAppserver, until } from './helpers.js';

/** Opens a WebSocket and resolves once it is open, with a queue of the messages it received. */
async function openSocket(url: string): Promise<{ ws: WebSocket; messages: string[]; closed: Promise<{ code: number; at: number }> }> {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  ws.on('message', (m) => messages.push(String(m)));
  const closed = new Promise<{ code: number; at: number }>((resolve) => ws.once('close', (code) => resolve({ code, at: Date.now() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
  });
  return { ws, messages, closed };
}

async function echo(s: { ws: WebSocket; messages: string[] }, text: string): Promise<void> {
  s.ws.send(text);
  await until(() => s.messages.includes(`echo ${text}`), 5000, `echo of ${text}`);
}

function wsUrl(httpUrl: string, path: string): string {
  return httpUrl.replace(/^http/, 'ws').replace(/\/$/, '') + path;
}

test('ws attached with `new WebSocketServer({ server })` in an onServer export: echoes under --workers 2, counted as upgraded connections, never as status 0', async (t) => {
  const s = await startAppserver(['-w', '2', join(FIXTURES, 'ws-express-app.mjs') + ':app']);
  t.after(() => s.stop());
  const a = await openSocket(wsUrl(s.url, '/ws'));
  const b = await openSocket(wsUrl(s.url, '/ws'));
  await echo(a, 'one');
  await echo(b, 'two');
  assert.match(a.messages[0]!, /^hello \d+$/);
  assert.equal((await get(s.url)).status, 200);
  const text = (await get(s.metricsUrl!)).body;
  assert.equal(metricValue(text, 'tsgi_upgraded_connections'), 2);
  assert.equal(metricValue(text, 'tsgi_http_upgrades_total'), 2);
  assert.ok(Number.isNaN(metricValue(text, 'tsgi_http_requests_total', { status: '0' })), 'no request recorded with status 0');
  assert.equal(metricValue(text, 'tsgi_http_requests_total', { method: 'GET', status: '200' }), 1);
  a.ws.close();
  b.ws.close();
  await until(async () => metricValue((await get(s.metricsUrl!)).body, 'tsgi_upgraded_connections') === 0, 5000, 'the gauge back to 0');
});

test('an exported `upgrade(req, socket, head)` handler receives upgrades of a bare node listener', async (t) => {
  const s = await startAppserver(['--interface', 'node', join(FIXTURES, 'ws-upgrade-export-app.mjs')]);
  t.after(() => s.stop());
  const c = await openSocket(wsUrl(s.url, '/ws'));
  await echo(c, 'x');
  await assert.rejects(openSocket(wsUrl(s.url, '/other')), /upgrade answered 404/);
  assert.equal((await get(s.url)).body, 'plain');
  c.ws.close();
});

test('@fastify/websocket works unchanged (its upgrade listener on fastify.server gets the worker server\'s upgrades)', async (t) => {
  const s = await startAppserver(['-w', '2', join(FIXTURES, 'fastify-ws-app.mjs') + ':app']);
  t.after(() => s.stop());
  const c = await openSocket(wsUrl(s.url, '/ws'));
  await echo(c, 'fastify');
  assert.equal((await get(s.url)).body, 'fastify');
  const text = (await get(s.metricsUrl!)).body;
  assert.equal(metricValue(text, 'tsgi_upgraded_connections'), 1);
  c.ws.close();
});

test('the old in-route pattern (ws.handleUpgrade(req, req.socket, ...)) still works and is counted as an upgrade, not status 0', async (t) => {
  const s = await startAppserver([join(FIXTURES, 'ws-route-app.mjs') + ':app']);
  t.after(() => s.stop());
  const c = await openSocket(wsUrl(s.url, '/ws'));
  await echo(c, 'route');
  const open = (await get(s.metricsUrl!)).body;
  assert.equal(metricValue(open, 'tsgi_upgraded_connections'), 1);
  assert.equal(metricValue(open, 'tsgi_http_requests_in_flight'), 0, 'an open WebSocket is not a request in flight');
  c.ws.close();
  await c.closed;
  await until(async () => metricValue((await get(s.metricsUrl!)).body, 'tsgi_http_upgrades_total') === 1, 5000, 'the upgrade counted');
  const text = (await get(s.metricsUrl!)).body;
  assert.ok(Number.isNaN(metricValue(text, 'tsgi_http_requests_total', { status: '0' })), 'no request recorded with status 0');
  assert.equal(metricValue(text, 'tsgi_upgraded_connections'), 0);
});

test('HUP: a WebSocket on an old worker stays open through the drain, then gets close code 1001 at --graceful-timeout; new sockets reach new workers', async (t) => {
  const s = await startAppserver(['-w', '1', '--graceful-timeout', '2', join(FIXTURES, 'ws-express-app.mjs') + ':app']);
  t.after(() => s.stop());
  const old = await openSocket(wsUrl(s.url, '/ws'));
  await until(() => old.messages.length > 0, 5000, 'hello from the first worker');
  const oldPid = old.messages[0]!.replace('hello ', '');
  const hupAt = Date.now();
  process.kill(s.pid, 'SIGHUP');
  await until(async () => (await get(s.url)).body !== oldPid, 15_000, 'a new worker to serve');
  // Still open and serving during the drain.
  await echo(old, 'during-drain');
  const fresh = await openSocket(wsUrl(s.url, '/ws'));
  await until(() => fresh.messages.length > 0, 5000, 'hello from the new worker');
  assert.notEqual(fresh.messages[0], old.messages[0], 'the new socket is served by the new worker');
  const { code, at } = await old.closed;
  assert.equal(code, 1001);
  assert.ok(at - hupAt >= 1900, `closed ${at - hupAt} ms after HUP, before the 2 s graceful timeout`);
  await echo(fresh, 'after');
  fresh.ws.close();
});

test('socket.io attached via onServer under --workers 2 --sticky: polling handshake and upgrade meet the same worker for every client', async (t) => {
  const s = await startAppserver(['-w', '2', '--sticky', join(FIXTURES, 'socketio-app.mjs') + ':app']);
  t.after(() => s.stop());
  const clients = Array.from({ length: 6 }, () => ioClient(s.url, { reconnection: false, timeout: 5000 }));
  t.after(() => {
    for (const c of clients) c.close();
  });
  const answers = await Promise.all(
    clients.map(
      (c, n) =>
        new Promise<{ n: number; pid: number }>((resolve, reject) => {
          c.once('connect_error', reject);
          c.once('connect', () => c.timeout(5000).emit('whoami', n, (err: Error | null, a: { n: number; pid: number }) => (err ? reject(err) : resolve(a))));
        }),
    ),
  );
  assert.deepEqual(answers.map((a) => a.n), [0, 1, 2, 3, 4, 5]);
  // Upgraded to WebSocket on the worker that held the polling session.
  await until(() => clients.every((c) => c.io.engine.transport.name === 'websocket'), 10_000, 'every client upgraded to websocket');
  const again = await new Promise<{ pid: number; transport: string }>((resolve, reject) =>
    clients[0]!.timeout(5000).emit('whoami', 9, (err: Error | null, a: { pid: number; transport: string }) => (err ? reject(err) : resolve(a))),
  );
  assert.equal(again.pid, answers[0]!.pid);
  assert.equal(again.transport, 'websocket');
});

test('socket.io attached to a Fastify instance\'s own server (the fastify-socket.io way) works unchanged: polling and the websocket upgrade', async (t) => {
  const s = await startAppserver([join(FIXTURES, 'fastify-socketio-app.mjs') + ':app']);
  t.after(() => s.stop());
  const c = ioClient(s.url, { reconnection: false, timeout: 5000 });
  t.after(() => c.close());
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('connect_error', reject);
  });
  await until(() => c.io.engine.transport.name === 'websocket', 10_000, 'the upgrade to websocket');
  const a = await new Promise<{ transport: string }>((resolve, reject) =>
    c.timeout(5000).emit('whoami', 1, (err: Error | null, r: { transport: string }) => (err ? reject(err) : resolve(r))),
  );
  assert.equal(a.transport, 'websocket');
  assert.equal((await get(s.url)).body, 'fastify');
});
