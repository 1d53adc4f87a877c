import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { fromFetch, serve } from '@tsgi/gateway';
import { dispatcher } from '@tsgi/middleware';
import { App } from '@tsgi/framework';

test('a Hono app and a framework app side by side under one server, dispatched by path prefix (SCRIPT_NAME/PATH_INFO)', async (t) => {
  const hono = new Hono().basePath('/hono');
  hono.get('/', (c) => c.text('hono root'));
  hono.get('/items/:id', (c) => c.json({ from: 'hono', id: c.req.param('id') }));

  const flask = new App();
  flask.get('/', function index(ctx) {
    return { from: 'framework', script: ctx.request.scriptRoot, path: ctx.request.path, self: ctx.urlFor('index'), post: ctx.urlFor('post', { id: 9 }) };
  });
  flask.get('/post/<int:id>', function post({ params }) {
    return `framework post ${params.id}`;
  });

  const root = new App();
  root.get('/', () => 'root');
  const site = dispatcher({ '/hono': fromFetch(hono.fetch), '/app': flask }, root);
  const running = await serve(site, { port: 0 });
  t.after(() => running.close());
  const base = `http://127.0.0.1:${running.port}`;

  assert.equal(await (await fetch(`${base}/hono`)).text(), 'hono root');
  assert.deepEqual(await (await fetch(`${base}/hono/items/42`)).json(), { from: 'hono', id: '42' });
  assert.deepEqual(await (await fetch(`${base}/app/`)).json(), { from: 'framework', script: '/app', path: '/', self: '/app/', post: '/app/post/9' });
  assert.equal(await (await fetch(`${base}/app/post/3`)).text(), 'framework post 3');
  const bare = await fetch(`${base}/app`, { redirect: 'manual' });
  assert.equal(((await bare.json()) as { path: string }).path, '/', 'an empty PATH_INFO at the mount point is the app root');
  assert.equal(await (await fetch(`${base}/`)).text(), 'root');
  assert.equal((await fetch(`${base}/application`)).status, 404, 'prefixes match on segment boundaries');
});
