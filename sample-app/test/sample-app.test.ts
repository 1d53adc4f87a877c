import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { serve } from '@tsgi/gateway';
import { rawExchange } from '@tsgi/test-support';
import { app, web, LIMITS } from '../src/app.js';

test('seed routes, XSS escaping and X-Served-By over a real socket', async (t) => {
  const running = await serve(app, { port: 0 });
  t.after(() => running.close());
  const base = `http://127.0.0.1:${running.port}`;
  const root = await fetch(`${base}/`);
  assert.equal(await root.text(), '<p>Hello, World!</p>');
  assert.equal(root.headers.get('x-served-by'), `${hostname()}:${process.pid}`);
  assert.equal(await (await fetch(`${base}/post/12`)).text(), 'Post 12');
  assert.equal(await (await fetch(`${base}/hello/`)).text(), '<!doctype html><title>Hello from TSGI</title><h1>Hello, World!</h1>');
  const xss = await (await fetch(`${base}/hello/${encodeURIComponent('<script>alert("x")')}`)).text();
  assert.equal(xss, '<!doctype html><title>Hello from TSGI</title><h1>Hello &lt;script&gt;alert(&#34;x&#34;)!</h1>');
  assert.doesNotMatch(xss, /<script>/);
});

test('load-test routes: JSON, bounded CPU, bounded slow stream, health', async (t) => {
  const running = await serve(app, { port: 0 });
  t.after(() => running.close());
  const base = `http://127.0.0.1:${running.port}`;
  assert.deepEqual(await (await fetch(`${base}/api/json`)).json(), { message: 'Hello, World!', framework: 'tsgi' });
  assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
  assert.equal(((await (await fetch(`${base}/cpu?n=10`)).json()) as { rounds: number }).rounds, 10);
  assert.equal(((await (await fetch(`${base}/cpu?n=999999999`)).json()) as { rounds: number }).rounds, LIMITS.cpuMax, 'n is capped');
  assert.equal((await fetch(`${base}/cpu?n=abc`)).status, 400);
  const stream = await fetch(`${base}/stream?chunks=3&delay=5`);
  assert.equal(stream.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(await stream.text(), 'chunk 0\nchunk 1\nchunk 2\n');
  const capped = await fetch(`${base}/stream?chunks=100000&delay=0`);
  assert.equal((await capped.text()).split('\n').length - 1, LIMITS.chunksMax);
});

test('static files through the middleware, no traversal out of the static folder', async (t) => {
  const running = await serve(app, { port: 0 });
  t.after(() => running.close());
  const base = `http://127.0.0.1:${running.port}`;
  const css = await fetch(`${base}/static/style.css`);
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type')!, /^text\/css/);
  assert.ok(css.headers.get('etag'));
  const again = await fetch(`${base}/static/style.css`, { headers: { 'If-None-Match': css.headers.get('etag')! } });
  assert.equal(again.status, 304);
  for (const path of ['/static/../package.json', '/static/%2e%2e/package.json', '/static/..%2fpackage.json']) {
    const response = (await rawExchange(running.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).text;
    assert.doesNotMatch(response, /^HTTP\/1\.1 200/, path);
    assert.doesNotMatch(response, /"name": "@tsgi\/sample-app"/, path);
  }
  assert.equal((await fetch(`${base}/static/missing.css`)).status, 404);
});

test('the framework app alone is a TSGI app with the seed endpoints', () => {
  assert.equal(typeof web, 'function');
  assert.equal(web.urlFor('show_post', { post_id: 5 }), '/post/5');
  assert.equal(web.urlFor('hello', { name: 'a b' }), '/hello/a%20b');
  assert.equal(web.urlFor('hello'), '/hello/');
});
