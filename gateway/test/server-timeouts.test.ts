import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { createServer, GatewayError, type App, type RunningServer } from '@tsgi/gateway';
import { RawConnection, rawExchange } from '@tsgi/test-support';
import { withServer } from './fixtures/with-server.js';

const enc = new TextEncoder();

/** Reads the whole body, answers its length. */
const echoLength: App = async (environ, startResponse) => {
  let total = 0;
  for await (const c of environ['tsgi.input']) total += c.length;
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [enc.encode(`${total}\n`)];
};


function connections(running: RunningServer): Promise<number> {
  return new Promise((resolve, reject) => running.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Opens a connection, writes `first`, then `drip` one byte every `everyMs` (until the server closes, or 10 s). */
async function dripClient(port: number, first: string, drip: string, everyMs: number): Promise<{ text: string; closedByServer: boolean }> {
  const conn = await RawConnection.open(port, '127.0.0.1', 10_000);
  let pos = 0;
  const timer = setInterval(() => {
    if (pos < drip.length && !conn.serverEnded) conn.write(drip[pos++]!);
  }, everyMs);
  try {
    conn.write(first);
    const { bytes, closed } = await conn.readUntilClosed();
    return { text: bytes.toString('latin1'), closedByServer: closed };
  } finally {
    clearInterval(timer);
    conn.destroy();
  }
}

describe('reference server: body timeout (nginx client_body_timeout)', () => {
  test('a body that stalls while the app reads gets 408 and the connection closes; others are served meanwhile', async () => {
    await withServer(echoLength, { bodyTimeoutMs: 300 }, async (running) => {
      const stalled = rawExchange(running.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nab', { timeoutMs: 8000 });
      const other = await rawExchange(running.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc');
      assert.equal(other.status, 200);
      const reply = await stalled;
      assert.equal(reply.status, 408, `reply was ${JSON.stringify(reply.text.slice(0, 200))}`);
      assert.ok(reply.closedByServer, 'closed by the server, not by our 8 s limit');
      assert.match(reply.text, /\r\nConnection: close\r\n/);
      await until(async () => (await connections(running)) === 0, 2000, 'the server side closed');
    });
  });

  test('a stalled chunked body gets 408 too', async () => {
    await withServer(echoLength, { bodyTimeoutMs: 300 }, async (running) => {
      const reply = await rawExchange(running.port, 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', { timeoutMs: 8000 });
      assert.equal(reply.status, 408);
      assert.ok(reply.closedByServer);
    });
  });

  test('it bounds the gap between body bytes, not the whole body: a slow but steady body is read whole', async () => {
    await withServer(echoLength, { bodyTimeoutMs: 400 }, async (running) => {
      // 12 bytes, one per 100 ms: 1.2 s in all, three times the timeout, never a 400 ms gap.
      const reply = await dripClient(running.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nConnection: close\r\n\r\n', 'x'.repeat(12), 100);
      assert.match(reply.text, /^HTTP\/1\.1 200 /);
      assert.match(reply.text, /\r\n\r\n12\n$/);
    });
  });

  test('after the response started, a stalled body closes the connection (the status cannot change)', async () => {
    let closes = 0;
    const app: App = async (environ, startResponse) => {
      const write = startResponse('200 OK', [['Content-Type', 'text/plain']]);
      await write(enc.encode('started\n'));
      await environ['tsgi.input'].read();
      return Object.assign([enc.encode('never\n')], { close: () => void closes++ });
    };
    await withServer(app, { bodyTimeoutMs: 300 }, async (running) => {
      const reply = await rawExchange(running.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nab', { timeoutMs: 8000 });
      assert.equal(reply.status, 200);
      assert.ok(reply.closedByServer, 'closed by the server, not by our 8 s limit');
      assert.ok(!reply.text.includes('never'), 'the response was cut');
      assert.ok(!reply.text.includes('\r\n0\r\n\r\n'), 'no last-chunk: the client sees it incomplete');
    });
  });

  test('an app that does not wait for the body is not cut by it', async () => {
    const app: App = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      return [enc.encode('ignored the body\n')];
    };
    await withServer(app, { bodyTimeoutMs: 200, keepAliveTimeoutMs: 5000 }, async (running) => {
      const reply = await rawExchange(running.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nab', { stopAfter: 1, settleMs: 0 });
      assert.equal(reply.status, 200);
    });
  });
});

describe('reference server: send timeout (nginx send_timeout)', () => {
  test('a client that never reads a streamed response is disconnected; close() runs; others are served', async () => {
    let produced = 0;
    let closed = 0;
    const chunk = new Uint8Array(64 * 1024);
    const total = 256 * 1024 * 1024;
    const app: App = (environ, startResponse) => {
      if (environ.PATH_INFO !== '/big') {
        startResponse('200 OK', [['Content-Type', 'text/plain']]);
        return [enc.encode('ok\n')];
      }
      startResponse('200 OK', [['Content-Type', 'application/octet-stream']]);
      const body = (async function* () {
        while (produced < total) {
          produced += chunk.length;
          yield chunk;
        }
      })();
      return Object.assign(body, { close: () => void closed++ });
    };
    await withServer(app, { sendTimeoutMs: 300 }, async (running) => {
      const sock = await RawConnection.open(running.port, '127.0.0.1', 30_000);
      sock.pause();
      sock.write('GET /big HTTP/1.1\r\nHost: a\r\n\r\n');
      try {
        await until(() => produced > 0, 5000, 'the app producing');
        const other = await rawExchange(running.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
        assert.equal(other.status, 200);
        await until(async () => closed === 1 && (await connections(running)) === 0, 8000, 'the stuck connection closed by the server');
        assert.ok(produced < total, 'the app stopped producing: backpressure, then the cut');
        // Reading now, the client gets what was buffered, then the end: far fewer bytes than the body.
        sock.resume();
        const received = (await sock.readToEnd()).length;
        assert.ok(received < total, `received ${received} bytes of ${total}`);
      } finally {
        sock.destroy();
      }
    });
  });

  test('it bounds the gap between reads, not the whole transfer: a slow but steady reader gets everything', async () => {
    // 16 MiB with a short pause per read: longer than the timeout in all, however fast this machine is. (The
    // kernel wakes a blocked writer only once a good part of its buffer is free, so the server sees progress
    // in steps of a megabyte or so: the reader must take that well within the timeout, even on a busy machine.)
    const chunk = new Uint8Array(256 * 1024);
    const count = 64;
    const app: App = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'application/octet-stream'], ['Content-Length', String(chunk.length * count)]]);
      return (async function* () {
        for (let i = 0; i < count; i++) yield chunk;
      })();
    };
    await withServer(app, { sendTimeoutMs: 1500 }, async (running) => {
      const sock = connect(running.port, '127.0.0.1');
      sock.on('error', () => {});
      let received = 0;
      sock.on('data', (d: Buffer) => {
        received += d.length;
        // Take a little, pause for less than the timeout, go on.
        sock.pause();
        setTimeout(() => sock.resume(), 10);
      });
      sock.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      await new Promise<void>((resolve) => sock.once('close', () => resolve()));
      assert.ok(received > chunk.length * count, `received ${received} of ${chunk.length * count} body bytes`);
    });
  });
});

test('bodyTimeoutMs and sendTimeoutMs are validated at construction', () => {
  const app: App = (_e, sr) => {
    sr('200 OK', []);
    return [];
  };
  for (const bad of [{ bodyTimeoutMs: 0 }, { sendTimeoutMs: -1 }, { bodyTimeoutMs: 1.5 }]) {
    assert.throws(
      () => createServer(app, bad),
      (err: unknown) => err instanceof GatewayError && err.code === 'GW_ERR_OPTIONS_INVALID',
    );
  }
});
