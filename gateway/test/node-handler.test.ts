import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { toNodeHandler, type App, type Environ, type ServerOptions } from '@tsgi/gateway';
import { rawExchange } from '@tsgi/test-support';

const enc = new TextEncoder();

async function withNodeServer(app: App, fn: (port: number) => Promise<void>, options: ServerOptions = {}): Promise<void> {
  const handler = toNodeHandler(app, options);
  const server: Server = createServer(handler);
  server.on('checkContinue', handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

describe('toNodeHandler', () => {
  test('runs a TSGI app inside node:http: environ, body, streaming response', async () => {
    let seen: Environ | undefined;
    const app: App = async (environ, sr) => {
      seen = environ;
      const body = await environ['tsgi.input'].read();
      sr('201 Created', [['Content-Type', 'text/plain']]);
      return (async function* () {
        yield enc.encode('got:');
        yield body;
      })();
    };
    await withNodeServer(app, async (port) => {
      const res = await fetch(`http://127.0.0.1:${port}/a%20b?q=1`, { method: 'POST', body: 'payload', headers: { 'X-A': '1' } });
      assert.equal(res.status, 201);
      assert.equal(await res.text(), 'got:payload');
    });
    assert.equal(seen?.PATH_INFO, '/a b');
    assert.equal(seen?.QUERY_STRING, 'q=1');
    assert.equal(seen?.HTTP_X_A, '1');
    assert.equal(seen?.CONTENT_LENGTH, '7');
  });

  test('an interface violation gets 500 and one log line with the rule id', async () => {
    const lines: string[] = [];
    const app: App = (_e, sr) => (sr('200 OK', [['X-A', 'a\nb']]), []);
    await withNodeServer(
      app,
      async (port) => {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        assert.equal(res.status, 500);
        await res.arrayBuffer();
      },
      { errors: { write: (m) => lines.push(m), flush() {} } },
    );
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^TSGI RESP-3 violated/);
  });

  test('declared body over limits.body is refused with 413 before the app runs', async () => {
    let ran = false;
    const app: App = (_e, sr) => ((ran = true), sr('200 OK', []), []);
    await withNodeServer(
      app,
      async (port) => {
        const reply = await rawExchange(port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n');
        assert.equal(reply.status, 413);
      },
      { limits: { body: 10 } },
    );
    assert.equal(ran, false);
  });

  test('100-continue is sent only when the app reads (with the checkContinue listener)', async () => {
    const app: App = async (env, sr) => {
      const body = env.PATH_INFO === '/read' ? await env['tsgi.input'].read() : new Uint8Array(0);
      sr('200 OK', []);
      return [body];
    };
    await withNodeServer(app, async (port) => {
      const noRead = await rawExchange(port, 'POST /skip HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n', {
        stopAfter: 1,
        settleMs: 0,
      });
      assert.equal(noRead.status, 200);
      assert.doesNotMatch(noRead.text, /100 Continue/);
    });
  });
});
