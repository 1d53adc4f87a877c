import { writeFileSync } from 'node:fs';
import { header } from './raw-client.js';
import { releaseFile } from './side-channel.js';
import { closedBeforeResponse, expect, type Check } from './context.js';

const show = JSON.stringify;

/** Checks of how the server handles what the app returns (APP-3, RESP-*). */
export const responseChecks: Check[] = [
  {
    rule: 'APP-3',
    name: 'close() is called exactly once after a complete response',
    async run(ctx) {
      const id = ctx.id();
      const res = await ctx.send(ctx.request('GET', '/', { kase: 'generator', id }));
      expect(res.status === 200 && res.body.toString() === 'abc', `status ${res.status}, body ${show(res.body.toString())}`);
      const n = await ctx.closeCount(id);
      expect(n === 1, `close() called ${n} times`);
    },
  },
  {
    rule: 'APP-3',
    name: 'close() is called exactly once when the client goes away mid-body',
    async run(ctx) {
      const id = ctx.id();
      const conn = await ctx.open();
      conn.write(ctx.request('GET', '/', { kase: 'endless', id, close: false }));
      const got = await conn.waitForText('tick 1');
      expect(got, 'no streamed chunk arrived');
      conn.destroy();
      const n = await ctx.closeCount(id);
      expect(n === 1, `close() called ${n} times after the client left`);
    },
  },
  {
    rule: 'APP-3',
    name: 'close() is called exactly once when the app throws mid-body',
    async run(ctx) {
      const id = ctx.id();
      await ctx.send(ctx.request('GET', '/', { kase: 'throw-after', id })).catch(() => undefined);
      const n = await ctx.closeCount(id);
      expect(n === 1, `close() called ${n} times`);
    },
  },
  {
    rule: 'RESP-6',
    name: 'streaming: the first chunk reaches the client before the app produces the second',
    async run(ctx) {
      const id = ctx.id();
      const conn = await ctx.open();
      try {
        conn.write(ctx.request('GET', '/', { kase: 'stream', id }));
        const head = await conn.readHead();
        expect(head?.status === 200, `status ${head?.status}`);
        expect(await conn.waitForText('first'), 'the connection ended before the first chunk');
      } catch (error) {
        conn.destroy();
        throw error;
      }
      writeFileSync(releaseFile(ctx.dir, id), '');
      const rest = (await conn.readToEnd()).toString('latin1');
      conn.destroy();
      expect(rest.includes('second') && !rest.includes('never-released'), `after release: ${show(rest.slice(0, 200))}`);
    },
  },
  {
    rule: 'RESP-5',
    name: 'excInfo before any byte replaces status and headers',
    async run(ctx) {
      const res = await ctx.send(ctx.request('GET', '/', { kase: 'exc-before' }));
      expect(res.status === 500, `status ${res.status}`);
      expect(header(res, 'x-replaced') === '1' && header(res, 'x-first') === undefined, `headers ${show(res.headers)}`);
      expect(res.body.toString() === 'replaced', `body ${show(res.body.toString())}`);
    },
  },
  {
    rule: 'RESP-5',
    name: 'excInfo after the headers went out is rethrown and the response is cut',
    async run(ctx) {
      const id = ctx.id();
      const res = await ctx.send(ctx.request('GET', '/', { kase: 'exc-after', id })).catch(closedBeforeResponse);
      const events = await ctx.waitForEvents(id, (e) => e.some((x) => x.event.startsWith('exc-')), 'the excInfo outcome');
      expect(events.some((e) => e.event === 'exc-rethrown'), `startResponse(…, excInfo) gave ${show(events.map((e) => e.event))}`);
      // The head and what was sent reach the client, then the connection is cut: never a clean end.
      expect(res !== null && res.status === 200 && !res.complete, `status ${res?.status}, complete ${res?.complete}`);
    },
  },
  {
    rule: 'RESP-9',
    name: 'write() chunks go out first, in order, then the body',
    async run(ctx) {
      const res = await ctx.send(ctx.request('GET', '/', { kase: 'write' }));
      expect(res.status === 200 && res.body.toString() === 'w1;w2;b1', `status ${res.status}, body ${show(res.body.toString())}`);
    },
  },
  {
    rule: 'RESP-8',
    name: 'the server sends no more body bytes than Content-Length',
    async run(ctx) {
      const conn = await ctx.open();
      conn.write(ctx.request('GET', '/', { kase: 'cl-over' }));
      const raw = (await conn.readToEnd()).toString('latin1');
      conn.destroy();
      const status = Number(raw.slice(9, 12));
      const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      expect(status === 500 || (status === 200 && body.length <= 4), `status ${status}, ${body.length} body bytes for Content-Length 4`);
      await ctx.stillServes();
    },
  },
  {
    rule: 'RESP-8',
    name: 'a body shorter than Content-Length ends with the connection closed',
    async run(ctx) {
      const conn = await ctx.open();
      try {
        conn.write(ctx.request('GET', '/', { kase: 'cl-under', close: false }));
        const res = await conn.readResponse();
        expect(res.status === 500 || !res.complete, `status ${res.status}, the short body was framed as complete`);
        if (res.status !== 500) {
          await conn.waitForClose();
          expect(conn.serverEnded, 'the connection stayed open');
        }
      } finally {
        conn.destroy();
      }
    },
  },
  {
    rule: 'SRV-8',
    name: "an app breaking the interface gets a 500: status '200', a string body, CRLF in a header",
    async run(ctx) {
      for (const kase of ['bad-status', 'string-body', 'header-injection']) {
        const res = await ctx.send(ctx.request('GET', '/', { kase }));
        expect(header(res, 'x-injected') === undefined, `${kase}: the injected header reached the client`);
        expect(res.status === 500, `${kase}: status ${res.status}`);
      }
      await ctx.stillServes();
    },
  },
];
