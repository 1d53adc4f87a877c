import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, validator, type App, type RunningServer } from '@tsgi/gateway';
import { rawExchange } from '@tsgi/test-support';

const enc = (s: string) => new TextEncoder().encode(s);
const logged: string[] = [];
let running: RunningServer;

const ok: App = (_e, s) => (s('200 OK', [['Content-Length', '2']]), [enc('ok')]);
const shortAfterHeaders: App = (_e, s) => {
  s('200 OK', [['Content-Length', '10']]);
  return (async function* () {
    yield enc('abc');
  })();
};

const routes: Record<string, App> = {
  '/ok': ok,
  '/bad-status': (_e, s) => (s('200', []), []),
  '/injection': (_e, s) => (s('200 OK', [['Location', '/x\r\nSet-Cookie: evil=1']]), []),
  '/string-chunk': async function* (_e: unknown, s: (st: string, h: Array<[string, string]>) => unknown) {
    s('200 OK', []);
    yield 'text';
  } as unknown as App,
  '/hop': (_e, s) => (s('200 OK', [['Transfer-Encoding', 'chunked']]), [enc('x')]),
  '/too-long': (_e, s) => (s('200 OK', [['Content-Length', '3']]), [enc('abcdef')]),
  '/short-after-headers': shortAfterHeaders,
};

before(async () => {
  const dispatch: App = (environ, start) => (routes[environ.PATH_INFO] ?? ok)(environ, start);
  running = await serve(validator(dispatch), {
    port: 0,
    host: '127.0.0.1',
    errors: { write: (m) => void logged.push(m), flush: () => undefined },
  });
});

after(() => running.close());

/** One raw request; resolves everything the server sent until it closed. */
async function raw(path: string, port = running.port): Promise<string> {
  return (await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).text;
}

for (const [path, rule] of [
  ['/bad-status', 'RESP-1'],
  ['/injection', 'RESP-3'],
  ['/string-chunk', 'RESP-7'],
  ['/hop', 'RESP-4'],
  ['/too-long', 'RESP-8'],
] as const) {
  test(`over a socket: ${rule} (${path}) gives a 500 and a log line naming ${rule}`, async () => {
    logged.length = 0;
    const response = await raw(path);
    assert.match(response, /^HTTP\/1\.1 500 /);
    assert.doesNotMatch(response, /evil=1/);
    const lines = logged.filter((l) => l.includes(`TSGI ${rule} violated`));
    assert.equal(lines.length, 1, JSON.stringify(logged));
    assert.match(await raw('/ok'), /^HTTP\/1\.1 200 /);
  });
}

test('over a socket: a short body after the headers went out is cut, with one RESP-8 line from the validator', async () => {
  // The server logs the error that cut the response too; the validator's own line goes to its injected log.
  const lines: string[] = [];
  const server = await serve(validator(shortAfterHeaders, { log: (l) => lines.push(l) }), {
    port: 0,
    host: '127.0.0.1',
    errors: { write: () => undefined, flush: () => undefined },
  });
  try {
    const response = await raw('/short-after-headers', server.port);
    assert.match(response, /^HTTP\/1\.1 200 /);
    const body = response.slice(response.indexOf('\r\n\r\n') + 4);
    assert.ok(body.length < 10, `the client got a complete body: ${JSON.stringify(response)}`);
    assert.deepEqual(lines.map((l) => l.slice(0, 20)), ['TSGI RESP-8 violated']);
  } finally {
    await server.close();
  }
});

test('RESP-1: the validator and the server give the same verdict on each status (obs-text is one byte, U+0100 and up are refused)', async () => {
  // Before the rule was written once, the validator let '200 Grœn' through and the server answered it with a 500.
  const statuses: Array<[status: string, valid: boolean]> = [
    ['200 OK', true],
    ['200 ', true],
    ['200 a\tb', true],
    ['200 Caf\u00e9', true],
    ['200 Gr\u0153n', false],
    ['200 \u20ac', false],
    ['200 a\u007f', false],
    ['200 a\u0000', false],
  ];
  const byPath: App = (environ, start) => (start(statuses[Number(environ.PATH_INFO.slice(1))]![0], [['Content-Length', '0']]), []);
  const lines: string[] = [];
  const plain = await serve(byPath, { port: 0, host: '127.0.0.1', errors: { write: () => undefined, flush: () => undefined } });
  const checked = await serve(validator(byPath, { log: (l) => lines.push(l) }), { port: 0, host: '127.0.0.1', errors: { write: () => undefined, flush: () => undefined } });
  try {
    for (const [i, [status, valid]] of statuses.entries()) {
      lines.length = 0;
      const server = (await raw(`/${i}`, plain.port)).slice(0, 12);
      await raw(`/${i}`, checked.port);
      const validatorRefused = lines.some((l) => l.startsWith('TSGI RESP-1 violated'));
      assert.equal(server, valid ? 'HTTP/1.1 200' : 'HTTP/1.1 500', `the server on ${JSON.stringify(status)}`);
      assert.equal(validatorRefused, !valid, `the validator on ${JSON.stringify(status)}`);
    }
  } finally {
    await plain.close();
    await checked.close();
  }
});
