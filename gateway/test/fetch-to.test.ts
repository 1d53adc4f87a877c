import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toFetch, validator, type App, type Environ, type ErrorStream } from '@tsgi/gateway';

const enc = (s: string) => new TextEncoder().encode(s);
const errorsSeen: string[] = [];
const errors: ErrorStream = { write: (m) => void errorsSeen.push(m), flush: () => undefined };

test('toFetch: environ from the Request and URL', async () => {
  let seen: Environ | undefined;
  const app: App = (environ, start) => {
    seen = environ;
    start('200 OK', [['Content-Type', 'text/plain']]);
    return [enc('hi')];
  };
  const handler = toFetch(validator(app), { remoteAddress: '10.0.0.1', errors });
  const res = await handler(
    new Request('https://example.test:8443/a%20b/c%2Fd?x=1&y=%20', {
      headers: [['X-Multi', 'a'], ['X-Multi', 'b'], ['Cookie', 'a=1'], ['Cookie', 'b=2'], ['X_Under', 'no']],
    }),
  );
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'hi');
  assert.ok(seen);
  assert.equal(seen.PATH_INFO, '/a b/c/d');
  assert.equal(seen.RAW_URI, '/a%20b/c%2Fd?x=1&y=%20');
  assert.equal(seen.QUERY_STRING, 'x=1&y=%20');
  assert.equal(seen.SERVER_NAME, 'example.test');
  assert.equal(seen.SERVER_PORT, '8443');
  assert.equal(seen['tsgi.url_scheme'], 'https');
  assert.equal(seen.REMOTE_ADDR, '10.0.0.1');
  assert.equal(seen.HTTP_X_MULTI, 'a, b');
  assert.equal(seen.HTTP_COOKIE, 'a=1; b=2');
  assert.equal(seen.HTTP_X_UNDER, undefined);
  assert.equal(seen.CONTENT_LENGTH, undefined);
  assert.deepEqual(errorsSeen, []);
});

test('toFetch: streamed both ways, pulled lazily, close() once', async () => {
  let produced = 0;
  let closed = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const app: App = async (environ, start) => {
    const input = environ['tsgi.input'];
    const first = await input.read(5);
    start('200 OK', [['Content-Type', 'text/plain'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
    const body = (async function* () {
      produced++;
      yield first;
      await gate;
      let rest = 0;
      for await (const chunk of input) rest += chunk.length;
      produced++;
      yield enc(`;rest=${rest}`);
    })();
    return Object.assign(body, { close: () => void closed++ });
  };
  let pulls = 0;
  const upload = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      pulls++;
      if (pulls > 4) ctrl.close();
      else ctrl.enqueue(enc('hello'));
    },
  }, { highWaterMark: 0 });
  const res = await toFetch(validator(app), { errors })(new Request('http://x/up', { method: 'POST', body: upload, duplex: 'half' } as RequestInit));
  assert.equal(res.status, 200);
  assert.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
  const reader = res.body!.getReader();
  const one = await reader.read();
  assert.equal(new TextDecoder().decode(one.value), 'hello');
  assert.equal(produced, 1, 'the second chunk is not produced before it is read');
  assert.ok(pulls < 4, `the upload was not read ahead (pulled ${pulls} times)`);
  release();
  const two = await reader.read();
  assert.equal(new TextDecoder().decode(two.value), ';rest=15');
  assert.equal((await reader.read()).done, true);
  assert.equal(closed, 1);
});

test('toFetch: cancelling the Response body closes the app body once', async () => {
  let closed = 0;
  const app: App = (_env, start) => {
    start('200 OK', []);
    const body = (async function* () {
      for (let i = 0; i < 1000; i++) yield enc(`tick ${i}\n`);
    })();
    return Object.assign(body, { close: () => void closed++ });
  };
  const res = await toFetch(app)(new Request('http://x/'));
  const reader = res.body!.getReader();
  await reader.read();
  await reader.cancel();
  assert.equal(closed, 1);
});

test('toFetch: write(), excInfo before headers, HEAD and app errors', async () => {
  const app: App = async (environ, start) => {
    if (environ.PATH_INFO === '/boom') throw new Error('app bug');
    start('200 OK', []);
    const write = start('201 Created', [['X-Replaced', '1']], new Error('changed my mind'));
    await write(enc('w;'));
    return [enc('body')];
  };
  const handler = toFetch(app, { errors });
  const res = await handler(new Request('http://x/'));
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('x-replaced'), '1');
  assert.equal(await res.text(), 'w;body');
  const head = await handler(new Request('http://x/', { method: 'HEAD' }));
  assert.equal(head.status, 201);
  assert.equal(head.body, null);
  errorsSeen.length = 0;
  const boom = await handler(new Request('http://x/boom'));
  assert.equal(boom.status, 500);
  assert.equal(errorsSeen.length, 1);
  const bad = await handler(new Request('http://x/%FF'));
  assert.equal(bad.status, 400);
  // A decoded NUL is refused as the HTTP/1 tiers refuse it (nginx: 400).
  const nul = await handler(new Request('http://x/a%00.txt'));
  assert.equal(nul.status, 400);
});
