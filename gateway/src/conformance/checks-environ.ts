import { expect, type Check } from './context.js';

const show = JSON.stringify;

/** Checks of what the server puts in environ and tsgi.input (ENV-*, INPUT-*). */
export const environChecks: Check[] = [
  {
    rule: 'ENV-1',
    name: 'REQUEST_METHOD is the method as sent',
    async run(ctx) {
      const { data } = await ctx.echo(ctx.request('PATCH', '/m', { body: '' }));
      expect(data.environ.REQUEST_METHOD === 'PATCH', `REQUEST_METHOD ${show(data.environ.REQUEST_METHOD)}`);
    },
  },
  {
    rule: 'ENV-2',
    name: "SCRIPT_NAME is '' at the root",
    async run(ctx) {
      const { data } = await ctx.echo(ctx.request('GET', '/x'));
      expect(data.environ.SCRIPT_NAME === '', `SCRIPT_NAME ${show(data.environ.SCRIPT_NAME)}`);
    },
  },
  {
    rule: 'ENV-3',
    name: 'PATH_INFO is percent-decoded UTF-8 (%20, %2F, é), RAW_URI exact',
    async run(ctx) {
      const target = '/a%20b/c%2Fd/%C3%A9t%C3%A9?x=1';
      const { data } = await ctx.echo(ctx.request('GET', target));
      expect(data.environ.PATH_INFO === '/a b/c/d/été', `PATH_INFO ${show(data.environ.PATH_INFO)}`);
      const raw = data.environ.RAW_URI;
      expect(raw === undefined || raw === target, `RAW_URI ${show(raw)}`);
    },
  },
  {
    rule: 'ENV-3',
    name: 'a path that is not UTF-8 (%FF) is refused with 400',
    async run(ctx) {
      const res = await ctx.send(ctx.request('GET', '/bad%FFpath'));
      expect(res.status === 400, `status ${res.status}`);
      await ctx.stillServes();
    },
  },
  {
    rule: 'ENV-4',
    name: 'QUERY_STRING is the raw query; empty when absent or after a bare ?',
    async run(ctx) {
      const q = 'a=1&b=%20x&c=%2F&d&e=%C3%A9';
      const one = await ctx.echo(ctx.request('GET', `/p?${q}`));
      expect(one.data.environ.QUERY_STRING === q, `QUERY_STRING ${show(one.data.environ.QUERY_STRING)}`);
      const none = await ctx.echo(ctx.request('GET', '/p'));
      expect(none.data.environ.QUERY_STRING === '', `no query: QUERY_STRING ${show(none.data.environ.QUERY_STRING)}`);
      const bare = await ctx.echo(ctx.request('GET', '/p?'));
      expect(bare.data.environ.QUERY_STRING === '', `bare '?': QUERY_STRING ${show(bare.data.environ.QUERY_STRING)}`);
    },
  },
  {
    rule: 'ENV-5',
    name: 'CONTENT_TYPE present exactly when sent',
    async run(ctx) {
      const without = await ctx.echo(ctx.request('GET', '/'));
      expect(!('CONTENT_TYPE' in without.data.environ), `GET without Content-Type has CONTENT_TYPE ${show(without.data.environ.CONTENT_TYPE)}`);
      const withCt = await ctx.echo(ctx.request('POST', '/', { headers: [['Content-Type', 'text/plain; charset=utf-8']], body: 'hi' }));
      expect(withCt.data.environ.CONTENT_TYPE === 'text/plain; charset=utf-8', `CONTENT_TYPE ${show(withCt.data.environ.CONTENT_TYPE)}`);
      expect(!('HTTP_CONTENT_TYPE' in withCt.data.environ), 'HTTP_CONTENT_TYPE is present');
    },
  },
  {
    rule: 'ENV-6',
    name: 'CONTENT_LENGTH present exactly when declared; absent for chunked bodies',
    async run(ctx) {
      const without = await ctx.echo(ctx.request('GET', '/'));
      expect(!('CONTENT_LENGTH' in without.data.environ), `GET without a body has CONTENT_LENGTH ${show(without.data.environ.CONTENT_LENGTH)}`);
      const withCl = await ctx.echo(ctx.request('POST', '/', { body: 'hello' }));
      expect(withCl.data.environ.CONTENT_LENGTH === '5', `CONTENT_LENGTH ${show(withCl.data.environ.CONTENT_LENGTH)}`);
      expect(!('HTTP_CONTENT_LENGTH' in withCl.data.environ), 'HTTP_CONTENT_LENGTH is present');
      const chunked = await ctx.echo(
        ctx.request('POST', '/', { headers: [['Transfer-Encoding', 'chunked']], body: '5\r\nhello\r\n0\r\n\r\n' }),
      );
      expect(!('CONTENT_LENGTH' in chunked.data.environ), `chunked body has CONTENT_LENGTH ${show(chunked.data.environ.CONTENT_LENGTH)}`);
    },
  },
  {
    rule: 'ENV-7',
    name: 'SERVER_NAME and SERVER_PORT are non-empty strings',
    async run(ctx) {
      const { data } = await ctx.echo(ctx.request('GET', '/'));
      const { SERVER_NAME: name, SERVER_PORT: port } = data.environ;
      expect(typeof name === 'string' && name !== '' && typeof port === 'string' && port !== '', `SERVER_NAME ${show(name)}, SERVER_PORT ${show(port)}`);
    },
  },
  {
    rule: 'ENV-8',
    name: 'SERVER_PROTOCOL is the request version',
    async run(ctx) {
      const one = await ctx.echo(ctx.request('GET', '/'));
      expect(one.data.environ.SERVER_PROTOCOL === 'HTTP/1.1', `HTTP/1.1 request: ${show(one.data.environ.SERVER_PROTOCOL)}`);
      const zero = await ctx.echo(ctx.request('GET', '/', { version: 'HTTP/1.0', close: false }));
      expect(zero.data.environ.SERVER_PROTOCOL === 'HTTP/1.0', `HTTP/1.0 request: ${show(zero.data.environ.SERVER_PROTOCOL)}`);
    },
  },
  {
    rule: 'ENV-9',
    name: "repeated fields joined with ', ', Cookie with '; ', names with '_' dropped",
    async run(ctx) {
      const { data } = await ctx.echo(
        ctx.request('GET', '/', {
          headers: [
            ['X-Multi', 'a'],
            ['x-multi', 'b'],
            ['Cookie', 'a=1'],
            ['Cookie', 'b=2'],
            ['X_Under', 'smuggled'],
            ['X-Dash-Name', 'v'],
          ],
        }),
      );
      const env = data.environ;
      expect(env.HTTP_X_MULTI === 'a, b', `HTTP_X_MULTI ${show(env.HTTP_X_MULTI)}`);
      expect(env.HTTP_COOKIE === 'a=1; b=2', `HTTP_COOKIE ${show(env.HTTP_COOKIE)}`);
      expect(env.HTTP_X_UNDER === undefined, `X_Under reached the app as HTTP_X_UNDER ${show(env.HTTP_X_UNDER)}`);
      expect(env.HTTP_X_DASH_NAME === 'v', `HTTP_X_DASH_NAME ${show(env.HTTP_X_DASH_NAME)}`);
      expect(env.HTTP_HOST === `127.0.0.1:${ctx.port}`, `HTTP_HOST ${show(env.HTTP_HOST)}`);
    },
  },
  {
    rule: 'ENV-10',
    name: 'REMOTE_ADDR is the peer address',
    async run(ctx) {
      const { data } = await ctx.echo(ctx.request('GET', '/'));
      const addr = data.environ.REMOTE_ADDR;
      expect(addr === '127.0.0.1' || addr === '::ffff:127.0.0.1', `REMOTE_ADDR ${show(addr)}`);
    },
  },
  {
    rule: 'ENV-11',
    name: 'tsgi.version is [1, 0], tsgi.url_scheme is http (ENV-12)',
    async run(ctx) {
      const { data } = await ctx.echo(ctx.request('GET', '/'));
      expect(show(data.environ['tsgi.version']) === '[1,0]', `tsgi.version ${show(data.environ['tsgi.version'])}`);
      expect(data.environ['tsgi.url_scheme'] === 'http', `tsgi.url_scheme ${show(data.environ['tsgi.url_scheme'])}`);
    },
  },
  {
    rule: 'ENV-13',
    name: 'tsgi.input and tsgi.errors have their methods (ENV-14)',
    async run(ctx) {
      const { data } = await ctx.echo(ctx.request('GET', '/'));
      expect(data.environ['tsgi.input'] === true, 'tsgi.input lacks read, readLine or async iteration');
      expect(data.environ['tsgi.errors'] === true, 'tsgi.errors lacks write or flush');
    },
  },
  {
    rule: 'ENV-15',
    name: 'tsgi.multithread/multiprocess/run_once are booleans; input_terminated is true (ENV-16)',
    async run(ctx) {
      const { data } = await ctx.echo(ctx.request('GET', '/'));
      for (const key of ['tsgi.multithread', 'tsgi.multiprocess', 'tsgi.run_once']) {
        expect(typeof data.environ[key] === 'boolean', `${key} is ${show(data.environ[key])}`);
      }
      expect(data.environ['tsgi.input_terminated'] === true, `tsgi.input_terminated is ${show(data.environ['tsgi.input_terminated'])}`);
    },
  },
  {
    rule: 'ENV-17',
    name: 'CGI keys hold strings; other keys are dotted (ENV-18)',
    async run(ctx) {
      const { data } = await ctx.echo(ctx.request('GET', '/', { headers: [['X-A', '1']] }));
      expect(data.environ.badKeys.length === 0, `keys breaking the rule: ${show(data.environ.badKeys)}`);
    },
  },
  {
    rule: 'INPUT-1',
    name: 'read(1000) never returns more than 1000 bytes; a 100 kB body arrives whole',
    async run(ctx) {
      const body = 'abcdefghij'.repeat(10_000);
      const { data } = await ctx.echo(ctx.request('POST', '/', { body }));
      expect(data.bodyLength === body.length && data.body === body, `got ${data.bodyLength} bytes`);
      expect(data.largestRead <= 1000, `read(1000) returned ${data.largestRead} bytes`);
    },
  },
  {
    rule: 'INPUT-2',
    name: 'reads past the end of a Content-Length and of a chunked body return empty',
    async run(ctx) {
      const fixed = await ctx.echo(ctx.request('POST', '/', { body: 'hello' }));
      expect(fixed.data.body === 'hello' && fixed.data.afterEnd === 0, `Content-Length body ${show(fixed.data.body)}, after end ${fixed.data.afterEnd}`);
      const chunked = await ctx.echo(
        ctx.request('POST', '/', { headers: [['Transfer-Encoding', 'chunked']], body: '3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n' }),
      );
      expect(chunked.data.body === 'abcdefg', `chunked body ${show(chunked.data.body)}`);
      expect(chunked.data.afterEnd === 0, `read after the last chunk returned ${chunked.data.afterEnd} bytes`);
    },
  },
  {
    rule: 'INPUT-4',
    name: 'readLine() returns each line with its LF, then the rest',
    async run(ctx) {
      const res = await ctx.send(ctx.request('POST', '/', { kase: 'lines', body: 'one\ntwo\n\nthree' }));
      const lines = (JSON.parse(res.body.toString('latin1')) as { lines: string[] }).lines;
      expect(show(lines) === show(['one\n', 'two\n', '\n', 'three']), `lines ${show(lines)}`);
    },
  },
  {
    rule: 'INPUT-5',
    name: 'a body cut short by the client makes read() reject',
    async run(ctx) {
      const id = ctx.id();
      const conn = await ctx.open();
      conn.write(ctx.request('POST', '/', { kase: 'input-truncated', id, headers: [['Content-Length', '100']], body: '0123456789' }));
      conn.endWrite();
      try {
        const events = await ctx.waitForEvents(id, (e) => e.some((x) => x.event.startsWith('input-')), 'the app to finish reading');
        const ended = events.find((e) => e.event === 'input-ended');
        expect(!ended, `tsgi.input ended cleanly after ${ended?.detail} of 100 bytes`);
      } finally {
        conn.destroy();
      }
    },
  },
];
