import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, Blueprint, HTTPException, MethodNotAllowed, NotFound, Response, abort, json, redirect } from '@tsgi/framework';

test('request: args, headers, cookies, json, urlencoded form, multipart files', async () => {
  const app = new App();
  app.get('/args', ({ request }) => ({ q: request.args.get('q'), tags: request.args.getAll('t'), ua: request.headers.get('user-agent'), c: request.cookies['k'] }));
  app.post('/json', async ({ request }) => ({ got: await request.json() }));
  app.post('/form', async ({ request }) => {
    const form = await request.form();
    const files = await request.files();
    const file = files.get('upload')?.[0];
    return { name: form.get('name'), file: file && { filename: file.filename, mimetype: file.mimetype, text: file.data.toString() } };
  });
  const c = app.testClient();
  assert.deepEqual((await c.get('/args?q=a+b&t=1&t=2', { headers: { 'User-Agent': 'ua/1', Cookie: 'k=v%20w' } })).json(), { q: 'a b', tags: ['1', '2'], ua: 'ua/1', c: 'v%20w' }, 'cookies are not percent-decoded (Werkzeug)');
  assert.deepEqual((await c.post('/json', { json: { a: [1] } })).json(), { got: { a: [1] } });
  assert.equal((await c.post('/json', { body: '{bad', headers: { 'Content-Type': 'application/json' } })).status, 400);
  assert.equal((await c.post('/json', { body: '{}', headers: { 'Content-Type': 'text/plain' } })).status, 415);
  assert.deepEqual((await c.post('/form', { form: { name: 'ann' } })).json(), { name: 'ann' });
  const boundary = 'XyZ';
  const multipart =
    `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nbob\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nfile body\r\n` +
    `--${boundary}--\r\n`;
  const r = await c.post('/form', { body: multipart, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
  assert.deepEqual(r.json(), { name: 'bob', file: { filename: 'a.txt', mimetype: 'text/plain', text: 'file body' } });
  const broken = await c.post('/form', { body: `--${boundary}\r\nContent-Disposition: form-data; name="x"\r\n\r\nunterminated`, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
  assert.equal(broken.status, 400);
  // The body ends inside a file part: busboy errors the file stream too; still a 400, and the app keeps serving.
  const cutInFile = await c.post('/form', {
    body: `--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello partial`,
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
  });
  assert.equal(cutInFile.status, 400);
  assert.equal((await c.post('/form', { body: multipart, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } })).status, 200);
});

test('body size limit: 413 on a declared or an actual body over maxContentLength', async () => {
  const app = new App({ maxContentLength: 10 });
  app.post('/echo', async ({ request }) => (await request.body()).toString());
  const c = app.testClient();
  assert.equal((await c.post('/echo', { body: '0123456789' })).text, '0123456789');
  assert.equal((await c.post('/echo', { body: '0123456789X' })).status, 413);
  const lying = await c.post('/echo', { body: '0123456789XYZ', environ: { CONTENT_LENGTH: '3' } });
  assert.equal(lying.status, 413, 'the limit counts bytes read, not the declared length');
});

test('results: string, JSON object and array, tuples, Response, WHATWG Response, bytes, redirect', async () => {
  const app = new App();
  app.get('/s', () => 'text');
  app.get('/o', () => ({ a: 1 }));
  app.get('/arr', () => [1, 2]);
  app.get('/t2', () => ['created', 201] as const);
  app.get('/t3', () => [{ ok: true }, 202, { 'X-A': 'b' }] as const);
  app.get('/r', () => new Response('plain', { status: 418, contentType: 'text/plain' }));
  app.get('/w', () => new globalThis.Response('fetch body', { status: 203, headers: { 'x-w': '1' } }));
  app.get('/b', () => new Uint8Array([104, 105]));
  app.get('/j', () => json({ n: 1 }, 201));
  app.get('/go', () => redirect('/o'));
  app.get('/undefined', () => undefined as unknown as string);
  const c = app.testClient();
  assert.equal((await c.get('/s')).header('Content-Type'), 'text/html; charset=utf-8');
  assert.equal((await c.get('/o')).header('Content-Type'), 'application/json');
  assert.deepEqual((await c.get('/arr')).json(), [1, 2]);
  const t2 = await c.get('/t2');
  assert.equal(t2.status, 201);
  assert.equal(t2.text, 'created');
  const t3 = await c.get('/t3');
  assert.deepEqual([t3.status, t3.header('X-A'), t3.json()], [202, 'b', { ok: true }]);
  const r = await c.get('/r');
  assert.deepEqual([r.status, r.header('Content-Type'), r.text], [418, 'text/plain', 'plain']);
  const w = await c.get('/w');
  assert.deepEqual([w.status, w.header('x-w'), w.text], [203, '1', 'fetch body']);
  assert.equal((await c.get('/b')).text, 'hi');
  assert.equal((await c.get('/j')).status, 201);
  const go = await c.get('/go', { followRedirects: true });
  assert.deepEqual([go.status, go.history[0]!.status, go.json()], [200, 302, { a: 1 }]);
  const bad = await c.get('/undefined');
  assert.equal(bad.status, 500);
  assert.match(c.errors.join(''), /FW_ERR_RESPONSE_TYPE|handler returned undefined/);
});

test('streaming from an async generator; close() finishes the generator when the client goes away', async () => {
  const app = new App();
  let finished = false;
  app.get('/stream', () =>
    (async function* () {
      try {
        for (let i = 0; ; i++) yield `line ${i}\n`;
      } finally {
        finished = true;
      }
    })(),
  );
  const environ = { ...(await envFor('/stream')) };
  let status = '';
  const body = await app(environ, (s) => {
    status = s;
    return async () => undefined;
  });
  const iterator = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  assert.equal(Buffer.from((await iterator.next()).value as Uint8Array).toString(), 'line 0\n');
  await body.close?.();
  assert.equal(status, '200 OK');
  assert.equal(finished, true);
});

async function envFor(path: string) {
  const { BufferInputStream } = await import('@tsgi/framework');
  return {
    REQUEST_METHOD: 'GET', SCRIPT_NAME: '', PATH_INFO: path, QUERY_STRING: '', SERVER_NAME: 'localhost', SERVER_PORT: '80',
    SERVER_PROTOCOL: 'HTTP/1.1', REMOTE_ADDR: '127.0.0.1', 'tsgi.version': [1, 0] as const, 'tsgi.url_scheme': 'http' as const,
    'tsgi.input': new BufferInputStream(new Uint8Array()), 'tsgi.errors': { write() {}, flush() {} }, 'tsgi.multithread': false,
    'tsgi.multiprocess': false, 'tsgi.run_once': false, 'tsgi.input_terminated': true,
  };
}

test('cookies: set with every attribute, delete, no header injection through the path', async () => {
  const app = new App();
  app.get('/set', () =>
    new Response('ok')
      .setCookie('a', 'v 1;x', { maxAge: 60, domain: 'example.com', path: '/p', secure: true, httpOnly: true, sameSite: 'Strict', partitioned: true, priority: 'High' })
      .deleteCookie('old'),
  );
  app.get('/inject', () => new Response('x').setCookie('a', 'b', { path: '/\r\nX-Evil: 1' }));
  const c = app.testClient();
  const cookies = (await c.get('/set')).headerAll('Set-Cookie');
  assert.match(cookies[0]!, /^a="v 1\\073x"; Domain=example\.com; Expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT; Max-Age=60; Secure; HttpOnly; Path=\/p; SameSite=Strict; Partitioned; Priority=High$/, 'quoted as Werkzeug, Max-Age also sets Expires');
  assert.match(cookies[1]!, /^old=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=\//);
  // Werkzeug quotes the path (dump_cookie), so CR/LF cannot start a header: a 200 with the bytes escaped.
  const injected = await c.get('/inject');
  assert.equal(injected.status, 200);
  assert.deepEqual(injected.headerAll('Set-Cookie'), ['a=b; Path=/%0D%0AX-Evil:%201']);
  assert.equal(injected.header('X-Evil'), undefined);
});

test('abort and HTTP exceptions: werkzeug pages, MethodNotAllowed sets Allow, abort(response)', async () => {
  const app = new App();
  app.get('/404', () => abort(404));
  app.get('/403', () => abort(403, 'no <way>'));
  app.get('/405', () => {
    throw new MethodNotAllowed(['GET', 'POST']);
  });
  app.get('/custom', () => abort(new Response('custom', { status: 409 })));
  const c = app.testClient();
  const nf = await c.get('/404');
  assert.equal(nf.status, 404);
  assert.match(nf.text, /<title>404 Not Found<\/title>/);
  assert.match((await c.get('/403')).text, /<p>no &lt;way&gt;<\/p>/);
  assert.equal((await c.get('/405')).header('Allow'), 'GET, POST');
  assert.deepEqual([(await c.get('/custom')).status, (await c.get('/custom')).text], [409, 'custom']);
  const e = new NotFound();
  assert.equal(e.code, 404);
  assert.ok(e instanceof HTTPException);
});

test('hooks: before-request short-circuits, after-request edits in reverse order, teardown sees the error', async () => {
  const app = new App();
  const seen: string[] = [];
  app.beforeRequest((ctx) => {
    if (ctx.request.args.get('deny')) return ['denied', 403] as const;
    ctx.g['user'] = 'ann';
  });
  app.afterRequest((response) => {
    response.headers.append('X-Order', 'first-registered');
  });
  app.afterRequest(async (response) => {
    response.headers.append('X-Order', 'second-registered');
    return response;
  });
  app.teardownRequest((error) => {
    seen.push(error instanceof Error ? error.message : 'none');
  });
  app.get('/', (ctx) => `hi ${String(ctx.g['user'])}`);
  app.get('/boom', () => {
    throw new Error('boom');
  });
  assert.throws(() => app.addHook('onWhatever' as 'beforeRequest', () => undefined), { code: 'FW_ERR_HOOK_UNKNOWN' });
  const c = app.testClient();
  const ok = await c.get('/');
  assert.equal(ok.text, 'hi ann');
  assert.deepEqual(ok.headerAll('X-Order'), ['second-registered', 'first-registered']);
  const denied = await c.get('/?deny=1');
  assert.deepEqual([denied.status, denied.text], [403, 'denied']);
  await c.get('/boom');
  assert.deepEqual(seen, ['none', 'none', 'boom']);
});

test('error handlers by status and by class; 500 hides the stack unless debug', async () => {
  class PaymentError extends Error {}
  class CardDeclined extends PaymentError {}
  const app = new App();
  app.errorHandler(404, (error, ctx) => [`nothing at ${ctx.request.path} (${error.code})`, 404] as const);
  app.errorHandler(PaymentError, (error) => [`payment: ${error.message}`, 402] as const);
  app.get('/pay', () => {
    throw new CardDeclined('declined');
  });
  app.get('/crash', () => {
    throw new Error('secret detail');
  });
  const c = app.testClient();
  assert.deepEqual([(await c.get('/x')).status, (await c.get('/x')).text], [404, 'nothing at /x (404)']);
  assert.deepEqual([(await c.get('/pay')).status, (await c.get('/pay')).text], [402, 'payment: declined']);
  const crash = await c.get('/crash');
  assert.equal(crash.status, 500);
  assert.doesNotMatch(crash.text, /secret detail/);
  assert.match(crash.text, /Internal Server Error/);
  assert.match(c.errors.join(''), /secret detail/, 'the error is logged to tsgi.errors');

  const debug = new App({ debug: true });
  debug.get('/crash', () => {
    throw new Error('secret <detail>');
  });
  assert.match((await debug.testClient().get('/crash')).text, /secret &lt;detail&gt;[\s\S]*request-response\.test\.ts/);
});

test('blueprints: prefix, endpoint names, relative urlFor, own hooks and error handlers, routes added after registration', async () => {
  const admin = new Blueprint('admin', { urlPrefix: '/admin' });
  admin.beforeRequest((ctx) => {
    if (!ctx.request.headers.get('x-admin')) abort(401);
  });
  admin.errorHandler(401, () => ['admins only', 401] as const);
  admin.get('/', function index(ctx) {
    return ctx.urlFor('.user', { id: 7 });
  });
  const app = new App();
  app.get('/', () => 'public');
  app.registerBlueprint(admin);
  admin.get('/user/<int:id>', function user({ params }) {
    return `user ${params.id}`;
  });
  const c = app.testClient();
  assert.equal((await c.get('/')).text, 'public', 'blueprint hooks do not run for app routes');
  assert.deepEqual([(await c.get('/admin/')).status, (await c.get('/admin/')).text], [401, 'admins only']);
  assert.equal((await c.get('/admin/', { headers: { 'X-Admin': '1' } })).text, '/admin/user/7');
  assert.equal((await c.get('/admin/user/3', { headers: { 'X-Admin': '1' } })).text, 'user 3');
  assert.equal(app.urlFor('admin.index'), '/admin/');
  assert.equal((await c.get('/admin/nope')).status, 404, 'an unrouted path is the app 404');
  const other = new App();
  other.registerBlueprint(admin, { urlPrefix: '/staff' });
  assert.equal(other.urlFor('admin.user', { id: 1 }), '/staff/user/1');
  assert.throws(() => other.registerBlueprint(admin), { code: 'FW_ERR_SETUP' });
});

test('app options are validated once, every problem listed', () => {
  assert.throws(
    () => new App({ maxContentLength: -1, debug: 'yes' as unknown as boolean, secretKey: '' }),
    (error: Error & { code: string }) => error.code === 'FW_ERR_SETUP' && /maxContentLength/.test(error.message) && /debug/.test(error.message) && /secretKey/.test(error.message),
  );
});
