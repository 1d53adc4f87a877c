import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { validateConfig } from '../src/config/config.ts';
import { ConfigError } from '../src/errors.ts';
import { basicConfig, startProxy, startUpstream, type Proc, type ProxyProc } from './helpers.ts';

let upstream: Proc & { port: number };
let short: ProxyProc;
let never: ProxyProc;

before(async () => {
  upstream = await startUpstream();
  short = await startProxy(basicConfig([upstream.port], '', 'timeouts: { tunnelIdle: 400ms }'));
  never = await startProxy(basicConfig([upstream.port], '', 'timeouts: { tunnelIdle: 0 }'));
});

after(async () => {
  await short?.kill();
  await never?.kill();
  await upstream?.kill();
});

async function open(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

function closedWithin(ws: WebSocket, ms: number): Promise<boolean> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

test('an idle WebSocket tunnel is closed after the upstream tunnelIdle timeout', async (t) => {
  const ws = await open(short.port);
  const openedAt = Date.now();
  assert.equal(await closedWithin(ws, 5000), true, 'the proxy closed the idle tunnel');
  const lasted = Date.now() - openedAt;
  t.diagnostic(`idle tunnel closed after ${lasted} ms (tunnelIdle 400 ms)`);
  assert.ok(lasted >= 350, `closed after ${lasted} ms, before the timeout`);
});

test('a tunnel with traffic either way outlives the timeout several times over', async () => {
  const ws = await open(short.port);
  let echoed = 0;
  ws.on('message', () => echoed++);
  // 15 messages 100 ms apart: 1.5 s, nearly four times tunnelIdle, never idle for long.
  for (let i = 0; i < 15; i++) {
    ws.send(`ping ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(ws.readyState, WebSocket.OPEN);
  assert.equal(echoed, 15);
  ws.close();
  await closedWithin(ws, 2000);
});

test('tunnelIdle: 0 keeps an idle tunnel open', async () => {
  const ws = await open(never.port);
  assert.equal(await closedWithin(ws, 1200), false);
  ws.close();
  await closedWithin(ws, 2000);
});

test('a bad tunnelIdle is a one-line config error naming the key', () => {
  const raw = { listeners: [{ address: '127.0.0.1:0' }], upstreams: { app: { servers: ['127.0.0.1:1'], timeouts: { tunnelIdle: 'soon' } } }, routes: [{ upstream: 'app' }] };
  assert.throws(() => validateConfig(raw, 'proxy.yaml'), (err: unknown) => err instanceof ConfigError && /^config: upstreams\.app\.timeouts\.tunnelIdle .*got "soon" \(from proxy\.yaml\)$/.test(err.message));
});
