import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { serve, type App, type RunningServer } from '@tsgi/gateway';
import { rawExchange } from '@tsgi/test-support';
import { loadHttpFixtures } from './fixtures/http-fixtures.js';

const ok = new TextEncoder().encode('ok');
const app: App = async (environ, startResponse) => {
  if (environ.PATH_INFO === '/read') await environ['tsgi.input'].read();
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [ok];
};

const servers = new Map<number, Promise<RunningServer>>();
function serverFor(limitBody: number | undefined): Promise<RunningServer> {
  const key = limitBody ?? -1;
  let s = servers.get(key);
  if (s === undefined) {
    const silent = { write() {}, flush() {} };
    s = serve(app, { limits: limitBody === undefined ? {} : { body: limitBody }, errors: silent });
    servers.set(key, s);
  }
  return s;
}

after(async () => {
  for (const s of servers.values()) await (await s).close(500);
});

describe('reference server: request corpus (test/fixtures/requests)', () => {
  for (const fx of loadHttpFixtures()) {
    test(`${fx.name} → ${fx.expect}`, async () => {
      const { port } = await serverFor(fx.limitBody);
      const reply = await rawExchange(port, fx.bytes, fx.expect < 400 ? { stopAfter: 1, settleMs: 0 } : {});
      assert.equal(reply.status, fx.expect, `reply was ${JSON.stringify(reply.text.slice(0, 200))}`);
      if (fx.expect >= 400) {
        assert.ok(reply.closedByServer, 'the server closes the connection after refusing');
        assert.match(reply.text, /\r\nConnection: close\r\n/);
        assert.match(reply.text, /\r\n\r\n.+\n$/s, 'a short text body');
      }
      const next = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      assert.equal(next.status, 200, 'the next request on a new connection still gets 200');
    });
  }
});

describe('reference server: slow and idle clients', () => {
  test('a head that never completes gets 408 after headersTimeoutMs; other clients are unaffected', async () => {
    const running = await serve(app, { headersTimeoutMs: 300, errors: { write() {}, flush() {} } });
    try {
      const slow = rawExchange(running.port, 'GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ', { timeoutMs: 5000 });
      const fast = await rawExchange(running.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      assert.equal(fast.status, 200);
      const reply = await slow;
      assert.equal(reply.status, 408);
      assert.ok(reply.closedByServer);
    } finally {
      await running.close(200);
    }
  });

  test('an idle keep-alive connection is closed after keepAliveTimeoutMs', async () => {
    const running = await serve(app, { keepAliveTimeoutMs: 200 });
    try {
      const reply = await rawExchange(running.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { timeoutMs: 5000 });
      assert.equal(reply.status, 200);
      assert.ok(reply.closedByServer, 'closed by the server, not by our 5 s limit');
    } finally {
      await running.close(200);
    }
  });
});
