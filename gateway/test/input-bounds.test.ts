import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS, toNodeHandler, type App } from '@tsgi/gateway';
import { createServer as createNodeServer } from 'node:http';
import { RawConnection, rawExchange } from '@tsgi/test-support';
import { withServer } from './fixtures/with-server.js';

const enc = new TextEncoder();
const silent = { write() {}, flush() {} };
const MiB = 1024 * 1024;

/** Answers the length of every readLine() result, one per line of the response. */
const lineLengths: App = async (environ, startResponse) => {
  const input = environ['tsgi.input'];
  const lengths: number[] = [];
  for (let line = await input.readLine(); line.length > 0; line = await input.readLine()) lengths.push(line.length);
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [enc.encode(lengths.join('\n'))];
};

/** read() without a size: answers how many bytes it got. */
const readAll: App = async (environ, startResponse) => {
  const body = await environ['tsgi.input'].read();
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [enc.encode(String(body.length))];
};

describe('tsgi.input: no single read buffers without bound', () => {
  test('readLine() without a limit returns at most 64 KiB of a 1 MiB line; the rest follows in order', async () => {
    await withServer(lineLengths, {}, async (running) => {
      const body = Buffer.alloc(MiB, 0x61);
      const reply = await rawExchange(
        running.port,
        Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length + 3}\r\nConnection: close\r\n\r\n`), body, Buffer.from('\nb\n')]),
      );
      assert.equal(reply.status, 200);
      const lengths = reply.text.split('\r\n\r\n')[1]!.split('\n').map(Number);
      assert.ok(lengths.every((n) => n <= 64 * 1024), `a line of ${Math.max(...lengths)} bytes`);
      // 16 pieces of 64 KiB, the LF alone (the 1 MiB line ended exactly on a piece), then "b\n".
      assert.deepEqual(lengths, [...Array(16).fill(64 * 1024), 1, 2]);
    });
  });

  test('read() without a size on an unlimited body stops at 100 MiB with 413, and the server stays up', { timeout: 60_000 }, async () => {
    await withServer(readAll, { limits: { body: Number.POSITIVE_INFINITY } }, async (running) => {
      const conn = await RawConnection.open(running.port, '127.0.0.1', 50_000);
      let reply: string;
      try {
        conn.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
        const chunk = Buffer.concat([Buffer.from(`${(MiB).toString(16)}\r\n`), Buffer.alloc(MiB, 0x62), Buffer.from('\r\n')]);
        // Up to 110 MiB, each piece taken by the kernel before the next, stopping as soon as the server answered: it must never ask for all of it.
        for (let sent = 0; sent < 110 && conn.unread.length === 0 && !conn.serverEnded; sent++) await conn.send(chunk);
        conn.setDeadline(10_000);
        reply = (await conn.readUntilClosed()).bytes.toString('latin1');
      } finally {
        conn.destroy();
      }
      assert.match(reply, /^HTTP\/1\.1 413 /);
      const next = await rawExchange(running.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      assert.equal(next.status, 200);
    });
  });

  test('readLine() without a limit is bounded on the node:http adapter too', async () => {
    const server = createNodeServer(toNodeHandler(lineLengths, { errors: silent }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const body = Buffer.alloc(200 * 1024, 0x61);
      const reply = await rawExchange(port, Buffer.concat([Buffer.from(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
      const lengths = reply.text.split('\r\n\r\n')[1]!.split('\n').map(Number);
      assert.ok(lengths.length > 1 && lengths.every((n) => n <= 64 * 1024), String(lengths));
    } finally {
      server.close();
    }
  });
});

describe('serve(): a default body limit', () => {
  test('the default is 100 MiB: a declared body over it is refused with 413 before the app runs', async () => {
    assert.equal(DEFAULT_LIMITS.body, 100 * MiB);
    let called = 0;
    const app: App = (environ, startResponse) => {
      called++;
      return readAll(environ, startResponse);
    };
    await withServer(app, {}, async (running) => {
      const reply = await rawExchange(running.port, `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${100 * MiB + 1}\r\n\r\n`);
      assert.equal(reply.status, 413);
      assert.equal(called, 0);
      const ok = await rawExchange(running.port, `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`);
      assert.equal(ok.status, 200);
      assert.match(ok.text, /\r\n\r\n5$/);
    });
  });
});
