import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestClient } from '@tsgi/framework';
import { app, web } from '../src/app.js';

// Flask's test_client(): the app called in-process, no socket.
const client = new TestClient(app);

test('the seed routes', async () => {
  const root = await client.get('/');
  assert.equal(root.status, 200);
  assert.equal(root.text, '<p>Hello, World!</p>');
  assert.equal((await client.get('/post/5')).text, 'Post 5');
  assert.equal((await client.get('/post/five')).status, 404);
  const hello = await client.get('/hello/x');
  assert.match(hello.header('content-type') ?? '', /^text\/html/);
  assert.match(hello.text, /<h1>Hello x!<\/h1>/);
  assert.match((await client.get('/hello/')).text, /<h1>Hello, World!<\/h1>/);
});

test('templates escape what they are given', async () => {
  const hello = await client.get(`/hello/${encodeURIComponent('<script>')}`);
  assert.match(hello.text, /Hello &lt;script&gt;!/);
  assert.doesNotMatch(hello.text, /<script>/);
});

test('the JSON route and the health route', async () => {
  assert.deepEqual((await client.get('/api/json')).json(), { message: 'Hello, World!', framework: 'tsgi' });
  assert.deepEqual((await client.get('/healthz')).json(), { status: 'ok' });
});

test('static files', async () => {
  const css = await client.get('/static/style.css');
  assert.equal(css.status, 200);
  assert.match(css.header('content-type') ?? '', /^text\/css/);
  assert.equal((await client.get('/static/missing.css')).status, 404);
});

test('urlFor builds the routes back', () => {
  assert.equal(web.urlFor('show_post', { post_id: 5 }), '/post/5');
  assert.equal(web.urlFor('hello', { name: 'a b' }), '/hello/a%20b');
});
