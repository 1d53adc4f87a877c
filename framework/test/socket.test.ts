import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawExchange } from '@tsgi/test-support';
import { serve } from '@tsgi/gateway';
import { App } from '@tsgi/framework';


test('over a real socket: routes, multipart upload, streaming, 413 from a declared length', async (t) => {
  const app = new App({ maxContentLength: 1024 });
  app.get('/post/<int:post_id>', ({ params }) => `Post ${params.post_id}`);
  app.post('/upload', async ({ request }) => {
    const files = await request.files();
    const form = await request.form();
    return { field: form.get('f'), size: files.get('file')?.[0]?.size };
  });
  app.get('/stream', () =>
    (async function* () {
      for (let i = 0; i < 3; i++) yield `chunk ${i};`;
    })(),
  );
  const running = await serve(app, { port: 0 });
  t.after(() => running.close());
  const base = `http://127.0.0.1:${running.port}`;

  const post = await fetch(`${base}/post/7`);
  assert.equal(await post.text(), 'Post 7');

  const form = new FormData();
  form.set('f', 'value');
  form.set('file', new Blob([Buffer.alloc(300, 97)], { type: 'text/plain' }), 'a.txt');
  assert.deepEqual(await (await fetch(`${base}/upload`, { method: 'POST', body: form })).json(), { field: 'value', size: 300 });

  const stream = await fetch(`${base}/stream`);
  assert.equal(stream.headers.get('transfer-encoding'), 'chunked');
  assert.equal(await stream.text(), 'chunk 0;chunk 1;chunk 2;');

  const big = await rawExchange(running.port, `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n`);
  assert.match(big.text, /^HTTP\/1\.1 413 /);

  const missing = await fetch(`${base}/nope`);
  assert.equal(missing.status, 404);
  const slash = await fetch(`${base}/post`, { redirect: 'manual' });
  assert.equal(slash.status, 404);
});
