import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { validator, RULES, type App, type Environ, type InputStream, type RuleId, type StartResponse } from '@tsgi/gateway';
import { drive, enc, makeEnviron, type DriveOptions } from './apps/in-process.ts';

interface Case {
  rule: RuleId;
  name: string;
  app?: App;
  environ?: (env: Environ) => void;
  init?: RequestInit & { duplex?: 'half' };
  /** '500': a clean 500 reached the server; 'cut': headers were out, so the body threw. */
  expect?: '500' | 'cut' | 'log';
  drive?: DriveOptions;
}

const ok: App = (_env, start) => {
  start('200 OK', [['Content-Type', 'text/plain']]);
  return [enc('hello')];
};

/** An input stream that answers with whatever the test hands it. */
function scriptedInput(answers: unknown[]): InputStream {
  return {
    read: async () => answers.shift() as Uint8Array,
    readLine: async () => answers.shift() as Uint8Array,
    async *[Symbol.asyncIterator]() {
      yield* [];
    },
  };
}

const reads: App = async (env, start) => {
  const input = env['tsgi.input'];
  while ((await input.read(4)).length > 0);
  start('200 OK', []);
  return [];
};

const cases: Case[] = [
  { rule: 'APP-1', name: 'the app is not a function', app: 42 as unknown as App },
  { rule: 'APP-2', name: 'body is a string', app: (_e, s) => (s('200 OK', []), 'hello' as unknown as Iterable<Uint8Array>) },
  { rule: 'APP-2', name: 'body is a Uint8Array', app: (_e, s) => (s('200 OK', []), enc('hi') as unknown as Iterable<Uint8Array>) },
  { rule: 'APP-2', name: 'body is null', app: (_e, s) => (s('200 OK', []), null as unknown as Iterable<Uint8Array>) },
  { rule: 'APP-2', name: 'body is a plain object', app: (_e, s) => (s('200 OK', []), {} as unknown as Iterable<Uint8Array>) },
  {
    rule: 'APP-2',
    name: 'close is not a function',
    app: (_e, s) => (s('200 OK', []), Object.assign([], { close: 5 }) as unknown as Iterable<Uint8Array>),
  },
  { rule: 'APP-3', name: 'the server calls close() twice', app: ok, expect: 'log', drive: { closeCalls: 2 } },
  {
    rule: 'APP-4',
    name: 'a chunk before startResponse',
    app: async function* (_e: Environ, s: StartResponse) {
      yield enc('early');
      s('200 OK', []);
    } as unknown as App,
  },
  { rule: 'APP-4', name: 'the body ends without startResponse', app: () => [] },
  { rule: 'ENV-1', name: 'REQUEST_METHOD is not a token', environ: (e) => void (e.REQUEST_METHOD = 'GE T') },
  { rule: 'ENV-2', name: 'SCRIPT_NAME ends with /', environ: (e) => void (e.SCRIPT_NAME = '/app/') },
  { rule: 'ENV-3', name: 'PATH_INFO without a leading /', environ: (e) => void (e.PATH_INFO = 'path') },
  { rule: 'ENV-4', name: 'QUERY_STRING is missing', environ: (e) => void delete (e as Partial<Environ>).QUERY_STRING },
  { rule: 'ENV-5', name: 'CONTENT_TYPE is not a string', environ: (e) => void ((e as Record<string, unknown>).CONTENT_TYPE = 5) },
  { rule: 'ENV-6', name: 'CONTENT_LENGTH is not digits', environ: (e) => void (e.CONTENT_LENGTH = '-1') },
  { rule: 'ENV-7', name: 'SERVER_NAME is empty', environ: (e) => void (e.SERVER_NAME = '') },
  { rule: 'ENV-8', name: 'SERVER_PROTOCOL is HTTP/1.2', environ: (e) => void (e.SERVER_PROTOCOL = 'HTTP/1.2') },
  { rule: 'ENV-9', name: 'a lower-case HTTP_ key', environ: (e) => void (e['HTTP_x_foo'] = 'v') },
  { rule: 'ENV-9', name: 'HTTP_CONTENT_TYPE present', environ: (e) => void (e.HTTP_CONTENT_TYPE = 'text/plain') },
  { rule: 'ENV-10', name: 'REMOTE_ADDR missing', environ: (e) => void delete (e as Partial<Environ>).REMOTE_ADDR },
  { rule: 'ENV-11', name: 'tsgi.version is [2, 0]', environ: (e) => void ((e as Record<string, unknown>)['tsgi.version'] = [2, 0]) },
  { rule: 'ENV-12', name: 'tsgi.url_scheme is ftp', environ: (e) => void ((e as Record<string, unknown>)['tsgi.url_scheme'] = 'ftp') },
  { rule: 'ENV-13', name: 'tsgi.input has no readLine', environ: (e) => void ((e as Record<string, unknown>)['tsgi.input'] = { read() {} }) },
  { rule: 'ENV-14', name: 'tsgi.errors has no flush', environ: (e) => void ((e as Record<string, unknown>)['tsgi.errors'] = { write() {} }) },
  { rule: 'ENV-15', name: 'tsgi.multithread is a string', environ: (e) => void ((e as Record<string, unknown>)['tsgi.multithread'] = 'no') },
  { rule: 'ENV-16', name: 'tsgi.input_terminated is false', environ: (e) => void ((e as Record<string, unknown>)['tsgi.input_terminated'] = false) },
  { rule: 'ENV-17', name: 'a CGI key holding a number', environ: (e) => void ((e as Record<string, unknown>).REMOTE_PORT = 1234) },
  { rule: 'ENV-18', name: 'an extension key without a dot', environ: (e) => void ((e as Record<string, unknown>).requestId = 'x') },
  {
    rule: 'INPUT-1',
    name: 'the app calls read(-1)',
    app: async (env, s) => {
      await env['tsgi.input'].read(-1);
      s('200 OK', []);
      return [];
    },
  },
  {
    rule: 'INPUT-1',
    name: 'the server returns more bytes than asked',
    app: reads,
    environ: (e) => void (e['tsgi.input'] = scriptedInput([enc('0123456789'), new Uint8Array(0)])),
  },
  {
    rule: 'INPUT-2',
    name: 'the server returns bytes after the end',
    app: async (env, s) => {
      await env['tsgi.input'].read(4);
      await env['tsgi.input'].read(4);
      s('200 OK', []);
      return [];
    },
    environ: (e) => void (e['tsgi.input'] = scriptedInput([new Uint8Array(0), enc('late')])),
  },
  {
    rule: 'INPUT-2',
    name: 'the server returns more than CONTENT_LENGTH',
    app: reads,
    environ: (e) => {
      e.CONTENT_LENGTH = '2';
      e['tsgi.input'] = scriptedInput([enc('abcd'), new Uint8Array(0)]);
    },
  },
  {
    rule: 'INPUT-4',
    name: 'the app calls readLine(1.5)',
    app: async (env, s) => {
      await env['tsgi.input'].readLine(1.5);
      s('200 OK', []);
      return [];
    },
  },
  {
    rule: 'INPUT-4',
    name: 'the server returns bytes past the LF',
    app: async (env, s) => {
      await env['tsgi.input'].readLine();
      s('200 OK', []);
      return [];
    },
    environ: (e) => void (e['tsgi.input'] = scriptedInput([enc('one\ntwo')])),
  },
  {
    rule: 'INPUT-5',
    name: 'the body ends cleanly before CONTENT_LENGTH',
    app: reads,
    environ: (e) => {
      e.CONTENT_LENGTH = '10';
      e['tsgi.input'] = scriptedInput([enc('abc'), new Uint8Array(0)]);
    },
  },
  { rule: 'RESP-1', name: "status '200'", app: (_e, s) => (s('200', []), []) },
  { rule: 'RESP-1', name: "status 'OK 200'", app: (_e, s) => (s('OK 200', []), []) },
  { rule: 'RESP-1', name: 'status with CRLF', app: (_e, s) => (s('200 OK\r\nX-Evil: 1', []), []) },
  { rule: 'RESP-1', name: 'status 1xx from startResponse', app: (_e, s) => (s('103 Early Hints', []), []) },
  { rule: 'RESP-2', name: 'headers is an object', app: (_e, s) => (s('200 OK', { a: 'b' } as never), []) },
  { rule: 'RESP-2', name: 'a header value is a number', app: (_e, s) => (s('200 OK', [['X-N', 5 as never]]), []) },
  { rule: 'RESP-3', name: 'a header name with a space', app: (_e, s) => (s('200 OK', [['Bad Name', 'v']]), []) },
  { rule: 'RESP-3', name: 'header injection in a value', app: (_e, s) => (s('200 OK', [['X-A', 'v\r\nSet-Cookie: evil=1']]), []) },
  { rule: 'RESP-3', name: 'a NUL in a value', app: (_e, s) => (s('200 OK', [['X-A', 'v\0']]), []) },
  { rule: 'RESP-4', name: 'a Connection header', app: (_e, s) => (s('200 OK', [['Connection', 'close']]), []) },
  { rule: 'RESP-4', name: 'a Transfer-Encoding header', app: (_e, s) => (s('200 OK', [['Transfer-Encoding', 'chunked']]), []) },
  {
    rule: 'RESP-5',
    name: 'startResponse twice without excInfo',
    app: (_e, s) => {
      s('200 OK', []);
      s('404 Not Found', []);
      return [];
    },
  },
  {
    rule: 'RESP-5',
    name: 'a server that does not rethrow excInfo after headers',
    app: async function* (_e: Environ, s: StartResponse) {
      s('200 OK', []);
      yield enc('part');
      s('500 Internal Server Error', [], new Error('boom'));
    } as unknown as App,
    expect: 'cut',
    drive: { sloppyExcInfo: true },
  },
  {
    rule: 'RESP-7',
    name: 'a string chunk',
    app: async function* (_e: Environ, s: StartResponse) {
      s('200 OK', []);
      yield 'text';
    } as unknown as App,
  },
  { rule: 'RESP-7', name: 'a string in an array body', app: (_e, s) => (s('200 OK', []), ['text' as never]) },
  { rule: 'RESP-8', name: 'more bytes than Content-Length', app: (_e, s) => (s('200 OK', [['Content-Length', '2']]), [enc('four')]) },
  { rule: 'RESP-8', name: 'an empty body with Content-Length 5', app: (_e, s) => (s('200 OK', [['Content-Length', '5']]), []) },
  {
    rule: 'RESP-8',
    name: 'fewer bytes than Content-Length after headers went out',
    app: async function* (_e: Environ, s: StartResponse) {
      s('200 OK', [['Content-Length', '10']]);
      yield enc('abc');
    } as unknown as App,
    expect: 'cut',
  },
  { rule: 'RESP-8', name: 'two different Content-Length headers', app: (_e, s) => (s('200 OK', [['Content-Length', '1'], ['content-length', '2']]), [enc('a')]) },
  { rule: 'RESP-8', name: 'a Content-Length that is not a number', app: (_e, s) => (s('200 OK', [['Content-Length', '1e3']]), []) },
  {
    rule: 'RESP-9',
    name: 'write() with a string',
    app: (_e, s) => {
      const write = s('200 OK', []);
      void write('text' as never);
      return [];
    },
  },
  {
    rule: 'RESP-9',
    name: 'write() after the body ended',
    app: (_e, s) => {
      const write = s('200 OK', []);
      const body = (function* () {
        yield enc('a');
      })();
      return Object.assign(body, {
        close() {
          try {
            void write(enc('late'));
          } catch {
            // The validator threw RESP-9 at the app; the log line is what the test checks.
          }
        },
      });
    },
    expect: 'log',
  },
  { rule: 'RESP-10', name: '204 with a body', app: (_e, s) => (s('204 No Content', []), [enc('x')]) },
  { rule: 'RESP-10', name: '304 with a body', app: (_e, s) => (s('304 Not Modified', []), [enc('x')]) },
  { rule: 'RESP-10', name: '204 with a Content-Length', app: (_e, s) => (s('204 No Content', [['Content-Length', '3']]), []) },
];

describe('validator: each enforced rule, broken, gives a 500 and one log line naming it', () => {
  for (const c of cases) {
    test(`${c.rule}: ${c.name}`, async () => {
      const { environ, errorsWritten } = makeEnviron(c.init);
      c.environ?.(environ);
      const lines: string[] = [];
      const wrapped = validator(c.app ?? ok, { log: (line) => lines.push(line) });
      const seen = await drive(wrapped, environ, c.drive);
      assert.equal(lines.length, 1, `one log line, got ${JSON.stringify(lines)}`);
      assert.match(lines[0]!, new RegExp(`^TSGI ${c.rule} violated: `));
      assert.equal(errorsWritten.length, 0, 'the injected logger replaces tsgi.errors');
      const expect = c.expect ?? '500';
      if (expect === '500') {
        assert.equal(seen.status, '500 Internal Server Error');
        assert.equal(seen.starts, 1, 'the app never reached the server before the 500');
        assert.match(seen.body, new RegExp(`TSGI validator: ${c.rule}\\b`));
        assert.equal(seen.error, undefined);
      } else if (expect === 'cut') {
        assert.notEqual(seen.error, undefined, 'the response was cut by an error');
      }
    });
  }

  test('every rule the validator checks has a case above', () => {
    const covered = new Set(cases.map((c) => c.rule));
    const notRunTime = ['INPUT-3', 'RESP-6', 'SRV-1', 'SRV-2', 'SRV-3', 'SRV-4', 'SRV-5', 'SRV-6', 'SRV-7', 'SRV-8'];
    for (const id of Object.keys(RULES)) {
      if (notRunTime.includes(id)) continue;
      assert.ok(covered.has(id as RuleId), `${id} has no breaking case`);
    }
  });
});

describe('validator: a conforming app passes through unchanged', () => {
  test('array body stays an array (Content-Length framing), close runs once', async () => {
    let closed = 0;
    const app: App = (_e, s) => {
      s('200 OK', [['Content-Type', 'text/plain'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
      return Object.assign([enc('hel'), enc('lo')], { close: () => void closed++ });
    };
    const { environ } = makeEnviron();
    const lines: string[] = [];
    const wrapped = validator(app, { log: (l) => lines.push(l) });
    const body = await wrapped(environ, () => async () => undefined);
    assert.equal(Array.isArray(body), true);
    const seen = await drive(wrapped, makeEnviron().environ);
    assert.equal(seen.status, '200 OK');
    assert.deepEqual(seen.headers.filter(([n]) => n === 'Set-Cookie').length, 2);
    assert.equal(seen.body, 'hello');
    await body.close?.();
    assert.equal(closed, 2);
    assert.deepEqual(lines, []);
  });

  test('streamed async body, write(), excInfo before headers replaces the status', async () => {
    const app: App = async (env, s) => {
      const text = new TextDecoder().decode(await env['tsgi.input'].read());
      try {
        s('200 OK', []);
        throw new Error('late failure');
      } catch (error) {
        const write = s('503 Service Unavailable', [['Retry-After', '1']], error);
        await write(enc(`got ${text};`));
      }
      return (async function* () {
        yield enc('more');
      })();
    };
    const lines: string[] = [];
    const { environ } = makeEnviron({ method: 'POST', body: 'payload' });
    const seen = await drive(validator(app, { log: (l) => lines.push(l) }), environ);
    assert.deepEqual(lines, []);
    assert.equal(seen.status, '503 Service Unavailable');
    assert.equal(seen.body, 'got payload;more');
  });

  test('an ordinary app error is passed to the server untouched', async () => {
    const boom = new Error('app bug');
    const lines: string[] = [];
    const seen = await drive(
      validator(() => {
        throw boom;
      }, { log: (l) => lines.push(l) }),
      makeEnviron().environ,
    );
    assert.equal(seen.error, boom);
    assert.deepEqual(lines, []);
  });

  test('without an injected logger the line goes to tsgi.errors', async () => {
    const { environ, errorsWritten } = makeEnviron();
    await drive(validator((_e, s) => (s('200', []), [])), environ);
    assert.equal(errorsWritten.length, 1);
    assert.match(errorsWritten[0]!, /^TSGI RESP-1 violated: .*\n$/);
  });
});
