import { header } from './raw-client.js';
import { closedBeforeResponse, expect, type Check, type CheckContext } from './context.js';

const show = JSON.stringify;

/** Sends raw bytes and expects `status`, then a 200 on a new connection (SRV-4, SRV-6). */
async function refused(ctx: CheckContext, raw: string, status: number, mustClose = false): Promise<void> {
  const conn = await ctx.open();
  try {
    conn.write(raw);
    const res = await conn.readResponse();
    expect(res.status === status, `status ${res.status}, expected ${status}`);
    if (mustClose) {
      await conn.waitForClose();
      expect(conn.serverEnded, 'the connection stayed open');
    }
  } finally {
    conn.destroy();
  }
  await ctx.stillServes();
}

/** Checks of the server's own HTTP duties (SRV-*). */
export const protocolChecks: Check[] = [
  {
    rule: 'SRV-1',
    name: 'framing: array body with Content-Length, generator chunked on HTTP/1.1, close-delimited on HTTP/1.0',
    async run(ctx) {
      const fixed = await ctx.send(ctx.request('GET', '/', { kase: 'fixed' }));
      expect(header(fixed, 'content-length') === '100' && header(fixed, 'transfer-encoding') === undefined, `array body headers ${show(fixed.headers)}`);
      const gen = await ctx.send(ctx.request('GET', '/', { kase: 'generator' }));
      const te = header(gen, 'transfer-encoding');
      expect(gen.body.toString() === 'abc' && (te === 'chunked' || header(gen, 'content-length') === '3'), `generator on HTTP/1.1: ${show(gen.headers)}`);
      const conn = await ctx.open();
      try {
        conn.write(ctx.request('GET', '/', { kase: 'generator', version: 'HTTP/1.0', close: false }));
        const old = await conn.readResponse();
        expect(header(old, 'transfer-encoding') === undefined, 'chunked sent to an HTTP/1.0 client');
        expect(old.body.toString() === 'abc', `HTTP/1.0 body ${show(old.body.toString())}`);
        if (header(old, 'content-length') === undefined) expect(conn.serverEnded, 'no length and the connection stayed open');
      } finally {
        conn.destroy();
      }
    },
  },
  {
    rule: 'SRV-2',
    name: 'HEAD: Content-Length kept, no body bytes, close() called, connection reusable',
    async run(ctx) {
      const id = ctx.id();
      const conn = await ctx.open();
      try {
        conn.write(ctx.request('HEAD', '/', { kase: 'fixed', id, close: false }));
        const head = await conn.readResponse({ head: true });
        expect(head.status === 200 && header(head, 'content-length') === '100', `HEAD: status ${head.status}, headers ${show(head.headers)}`);
        conn.write(ctx.request('GET', '/', { kase: 'fixed', close: false }));
        const next = await conn.readResponse();
        expect(next.status === 200 && next.body.toString() === 'x'.repeat(100), `the GET after HEAD read ${show(next.body.toString().slice(0, 40))} (body bytes after HEAD?)`);
      } finally {
        conn.destroy();
      }
      const n = await ctx.closeCount(id);
      expect(n === 1, `close() called ${n} times for HEAD`);
    },
  },
  {
    rule: 'SRV-3',
    name: "Expect: 100-continue: '100 Continue' when the app reads the body",
    async run(ctx) {
      const conn = await ctx.open();
      try {
        conn.write(ctx.request('POST', '/', { headers: [['Expect', '100-continue'], ['Content-Length', '5']] }));
        const interim = await conn.readResponse({ stopAtInterim: true });
        expect(interim.interim.includes(100), `got ${interim.status} before the body was sent`);
        conn.write('hello');
        const res = await conn.readResponse();
        const data = JSON.parse(res.body.toString()) as { body: string };
        expect(res.status === 200 && data.body === 'hello', `status ${res.status}, body ${show(data.body)}`);
      } finally {
        conn.destroy();
      }
    },
  },
  {
    rule: 'SRV-3',
    name: "Expect: 100-continue: no '100 Continue' when the app answers without reading",
    async run(ctx) {
      const conn = await ctx.open();
      try {
        conn.write(ctx.request('POST', '/', { kase: 'fixed', headers: [['Expect', '100-continue'], ['Content-Length', '5']] }));
        const res = await conn.readResponse();
        expect(res.status === 200 && res.interim.length === 0, `interim ${show(res.interim)}, status ${res.status}`);
      } finally {
        conn.destroy();
      }
    },
  },
  {
    rule: 'SRV-4',
    name: 'a malformed request line gets 400 and the server stays up',
    run: (ctx) => refused(ctx, 'GARBAGE\r\n\r\n', 400),
  },
  {
    rule: 'SRV-4',
    name: 'a request line over 4094 bytes gets 414',
    run: (ctx) => refused(ctx, `GET /${'a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414),
  },
  {
    rule: 'SRV-4',
    name: 'a header field over 8190 bytes gets 431',
    run: (ctx) => refused(ctx, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(9000)}\r\n\r\n`, 431),
  },
  {
    rule: 'SRV-4',
    name: 'more than 100 header fields gets 431',
    run: (ctx) => refused(ctx, `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 120 }, (_, i) => `X-F${i}: v\r\n`).join('')}\r\n`, 431),
  },
  {
    rule: 'SRV-4',
    name: 'an unsupported Transfer-Encoding gets 501',
    run: (ctx) => refused(ctx, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 501),
  },
  {
    rule: 'SRV-6',
    name: 'Content-Length with Transfer-Encoding gets 400 and the connection closed',
    run: (ctx) =>
      refused(ctx, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, true),
  },
  {
    rule: 'SRV-6',
    name: 'two differing Content-Length headers get 400 and the connection closed',
    run: (ctx) => refused(ctx, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', 400, true),
  },
  {
    rule: 'SRV-6',
    name: 'bad chunk framing gets 400',
    run: (ctx) => refused(ctx, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 400, true),
  },
  {
    rule: 'SRV-5',
    name: 'an app error before headers becomes a 500; the server stays up',
    async run(ctx) {
      const res = await ctx.send(ctx.request('GET', '/', { kase: 'throw-before' }));
      expect(res.status === 500, `status ${res.status}`);
      await ctx.stillServes();
    },
  },
  {
    rule: 'SRV-5',
    name: 'an app error after headers cuts the response (no clean end)',
    async run(ctx) {
      // The head and the chunks already produced reach the client, then the connection is cut:
      // the client sees a 200 without its end, never a complete-looking response (SRV-5).
      const res = await ctx.send(ctx.request('GET', '/', { kase: 'throw-after', close: false })).catch(closedBeforeResponse);
      expect(res !== null && res.status === 200 && !res.complete, `status ${res?.status}, complete ${res?.complete}, body ${show(res?.body.toString())}`);
      await ctx.stillServes();
    },
  },
  {
    rule: 'SRV-7',
    name: 'keep-alive: HTTP/1.1 serves several requests on one connection; Connection: close and HTTP/1.0 close it',
    async run(ctx) {
      const conn = await ctx.open();
      try {
        for (let i = 0; i < 3; i++) {
          conn.write(ctx.request('GET', `/ka${i}`, { kase: 'fixed', close: false }));
          const res = await conn.readResponse();
          expect(res.status === 200 && res.body.length === 100, `request ${i + 1} on the connection: status ${res.status}`);
        }
        conn.write(ctx.request('GET', '/last', { kase: 'fixed', close: true }));
        const last = await conn.readResponse();
        expect(last.status === 200, `status ${last.status}`);
        await conn.waitForClose();
        expect(conn.serverEnded, 'Connection: close did not close');
      } finally {
        conn.destroy();
      }
      const old = await ctx.open();
      try {
        old.write(ctx.request('GET', '/', { kase: 'fixed', version: 'HTTP/1.0', close: false }));
        await old.readResponse();
        await old.waitForClose();
        expect(old.serverEnded, 'an HTTP/1.0 connection without keep-alive stayed open');
      } finally {
        old.destroy();
      }
    },
  },
  {
    rule: 'SRV-7',
    name: 'an unread request body does not corrupt the next request on the connection',
    async run(ctx) {
      const conn = await ctx.open();
      try {
        conn.write(ctx.request('POST', '/', { kase: 'fixed', body: 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n', close: false }));
        const first = await conn.readResponse();
        expect(first.status === 200, `status ${first.status}`);
        conn.write(ctx.request('GET', '/second', { close: false }));
        const second = await conn.readResponse().catch(() => null);
        if (second === null) {
          expect(conn.serverEnded, 'no second response and the connection is open');
          return;
        }
        const data = JSON.parse(second.body.toString()) as { environ: { PATH_INFO: string } };
        expect(data.environ.PATH_INFO === '/second', `the next request was read as ${show(data.environ.PATH_INFO)}`);
      } finally {
        conn.destroy();
      }
    },
  },
];
