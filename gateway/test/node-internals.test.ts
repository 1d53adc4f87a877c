// The Node private field the gateway relies on (src/adapters/node-internals.ts),
// on the Node running this test: CI runs it on Node 22 and 24.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { toNodeHandler, type App } from '@tsgi/gateway';
import { continueAlreadySent } from '../src/adapters/node-internals.ts';
import { rawExchange } from '@tsgi/test-support';

const enc = new TextEncoder();
const silent = { write() {}, flush() {} };

async function listen(server: ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

const EXPECTING = 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n';

test(`node:http's own 100 Continue is visible to the adapter (Node ${process.versions.node})`, async (t) => {
  const seen: boolean[] = [];
  const record = (req: IncomingMessage, res: ServerResponse): void => {
    seen.push(continueAlreadySent(res));
    req.resume();
    req.on('end', () => res.end('ok'));
  };
  const auto = createServer(record);
  const manual = createServer(record);
  manual.on('checkContinue', record);
  const [autoPort, manualPort] = [await listen(auto), await listen(manual)];
  t.after(() => {
    auto.close();
    manual.close();
  });
  await rawExchange(autoPort, `${EXPECTING}hello`);
  await rawExchange(autoPort, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
  await rawExchange(manualPort, `${EXPECTING}hello`);
  // Node answered the first itself; nothing to answer on the second; the third is the listener's to answer.
  assert.deepEqual(seen, [true, false, false]);
});

test('through toNodeHandler, a 100-continue request gets exactly one 100 Continue either way it is registered', async (t) => {
  const echo: App = async (environ, startResponse) => {
    const body = await environ['tsgi.input'].read();
    startResponse('200 OK', [['Content-Type', 'text/plain']]);
    return [enc.encode(`got ${body.length}`)];
  };
  const handler = toNodeHandler(echo, { errors: silent });
  const auto = createServer(handler);
  const manual = createServer(handler);
  manual.on('checkContinue', handler);
  const [autoPort, manualPort] = [await listen(auto), await listen(manual)];
  t.after(() => {
    auto.close();
    manual.close();
  });
  for (const port of [autoPort, manualPort]) {
    const reply = await rawExchange(port, `${EXPECTING}hello`);
    assert.equal(reply.text.split('HTTP/1.1 100 Continue').length - 1, 1, reply.text);
    assert.match(reply.text, /got 5$/);
  }
});
