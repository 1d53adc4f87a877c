import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, rawExchange } from '@tsgi/test-support';
import { ProtocolError, serve, type InputStream, type ProtocolErrorCode } from '@tsgi/gateway';
import { App, Blueprint, abort, type HTTPException } from '@tsgi/framework';


/** A body whose reads fail as the gateway's do when the client misbehaves. */
function failingInput(error: Error): InputStream {
  return {
    read: () => Promise.reject(error),
    readLine: () => Promise.reject(error),
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
  };
}

function header(response: string, name: string): string | undefined {
  const line = response.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

test('strict-slash 308 Location is percent-encoded as Werkzeug, raw query kept', async () => {
  const app = new App();
  app.get('/x/<name>/', ({ params }) => params.name);
  const c = app.testClient();
  // Flask 2.2.2 gives exactly these Locations.
  const q = await c.get('/x/a%3Fb?q=1%202');
  assert.equal(q.status, 308);
  assert.equal(q.header('Location'), 'http://localhost/x/a%3Fb/?q=1%202');
  assert.equal((await c.get('/x/a%22%3E%3C')).header('Location'), 'http://localhost/x/a%22%3E%3C/');
  assert.equal((await c.get('/x/%C3%A9')).header('Location'), 'http://localhost/x/%C3%A9/');
  assert.equal((await c.get('/x/a%3Fb', { environ: { SCRIPT_NAME: '/m n' } })).header('Location'), 'http://localhost/m%20n/x/a%3Fb/');
});

test('merge_slashes: a path with // that matches once collapsed redirects 308 there', async () => {
  const app = new App();
  app.get('/hello/', () => 'hello');
  app.get('/x/<name>/', ({ params }) => params.name);
  app.post('/p', () => 'p');
  const c = app.testClient();
  const merged = await c.get('/hello//?a=b');
  assert.equal(merged.status, 308);
  assert.equal(merged.header('Location'), 'http://localhost/hello/?a=b');
  assert.equal((await c.get('/hello//')).header('Location'), 'http://localhost/hello/');
  assert.equal((await c.get('/x//a%3F')).header('Location'), 'http://localhost/x/a%3F/', 'collapsed, then the strict slash added');
  assert.equal((await c.get('/nothing//here')).status, 404);
  assert.equal((await c.get('/x//p')).status, 308);
  assert.equal((await c.get('/a//p')).status, 404);
});

test('over a socket: redirect Location headers carry no raw quote, angle bracket or space', async (t) => {
  const app = new App();
  app.get('/x/<name>/', ({ params }) => params.name);
  app.get('/hello/', () => 'hello');
  const running = await serve(app, { port: 0 });
  t.after(() => running.close());
  const evil = (await rawExchange(running.port, 'GET /x/a%22%3E%3C%20b HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\n')).text;
  assert.match(evil, /^HTTP\/1\.1 308 /);
  assert.equal(header(evil, 'Location'), 'http://h.test/x/a%22%3E%3C%20b/');
  const merged = (await rawExchange(running.port, 'GET /hello//?q=%41 HTTP/1.1\r\nHost: h.test\r\nConnection: close\r\n\r\n')).text;
  assert.match(merged, /^HTTP\/1\.1 308 /);
  assert.equal(header(merged, 'Location'), 'http://h.test/hello/?q=%41');
});

test("relative urlFor('.x') in a blueprint registered twice uses the registration that matched", async () => {
  const bp = new Blueprint('bp');
  bp.get('/x', (ctx) => ctx.urlFor('.x'), { endpoint: 'x' });
  bp.get('/who', (ctx) => String(ctx.blueprint));
  const app = new App();
  app.registerBlueprint(bp, { urlPrefix: '/bp1' });
  app.registerBlueprint(bp, { urlPrefix: '/bp2', name: 'bp2' });
  const c = app.testClient();
  assert.equal((await c.get('/bp1/x')).text, '/bp1/x');
  assert.equal((await c.get('/bp2/x')).text, '/bp2/x');
  assert.equal((await c.get('/bp2/who')).text, 'bp2');
});

test('teardown gets undefined for handled errors (HTTP exceptions, error handlers), the error for a 500', async () => {
  const app = new App();
  const seen: unknown[] = [];
  app.beforeRequest((ctx) => {
    if (ctx.request.path === '/teapot') abort(418);
  });
  app.teardownRequest((error) => void seen.push(error));
  class Handled extends Error {}
  app.errorHandler(Handled, () => ['handled', 409] as const);
  app.get('/teapot', () => 'never');
  app.get('/handled', () => {
    throw new Handled('h');
  });
  app.get('/crash', () => {
    throw new Error('crash');
  });
  const c = app.testClient();
  assert.equal((await c.get('/teapot')).status, 418);
  assert.equal((await c.get('/missing')).status, 404);
  assert.equal((await c.get('/handled')).status, 409);
  assert.equal((await c.get('/crash')).status, 500);
  assert.equal(seen.length, 4);
  assert.deepEqual(seen.slice(0, 3), [undefined, undefined, undefined]);
  assert.equal((seen[3] as Error).message, 'crash');
});

test('gateway input errors while reading the body become 400/408/413, not a logged 500', async () => {
  const app = new App();
  app.post('/files', async ({ request }) => `got ${(await request.body()).length}`);
  app.post('/form', async ({ request }) => `fields ${[...(await request.form()).keys()].length}`);
  const c = app.testClient();
  const cases: Array<[ProtocolErrorCode, number]> = [
    ['GW_ERR_INPUT_ABORTED', 400],
    ['GW_ERR_BODY_TIMEOUT', 408],
    ['GW_ERR_BODY_TOO_LARGE', 413],
  ];
  for (const [code, status] of cases) {
    const input = failingInput(new ProtocolError(code, 'client trouble'));
    const raw = await c.post('/files', { body: 'x', environ: { 'tsgi.input': input } });
    assert.equal(raw.status, status, code);
    const form = await c.post('/form', {
      body: '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--\r\n',
      headers: { 'Content-Type': 'multipart/form-data; boundary=B' },
      environ: { 'tsgi.input': failingInput(new ProtocolError(code, 'client trouble')) },
    });
    assert.equal(form.status, status, `${code} (multipart)`);
  }
  assert.equal(c.errors.join(''), '', 'nothing logged for a client-side failure');
});

test('over a socket: a client hanging up mid-upload is not logged as an app error', async (t) => {
  const app = new App();
  const logged: string[] = [];
  // Settles on whichever comes first: the 400 handler (fixed) or an error log line (the defect).
  let settle!: (outcome: HTTPException | string) => void;
  const done = new Promise<HTTPException | string>((resolve) => (settle = resolve));
  app.post('/files', async ({ request }) => `got ${(await request.body()).length}`);
  app.errorHandler(400, (error) => {
    settle(error);
    return ['bad', 400] as const;
  });
  const running = await serve(app, { port: 0, errors: {
      write: (m: string) => {
        logged.push(m);
        settle(m);
      },
      flush: () => undefined,
    },
  });
  t.after(() => running.close());
  const conn = await RawConnection.open(running.port);
  conn.write(`POST /files HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n${'a'.repeat(300)}`);
  conn.endWrite();
  const outcome = await done;
  assert.equal(typeof outcome === 'string' ? outcome : outcome.code, 400);
  conn.destroy();
  assert.doesNotMatch(logged.join(''), /error serving/);
});
