import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Hono } from 'hono';
import { fromFetch, serve, validator, type RunningServer } from '@tsgi/gateway';

let running: RunningServer;
let aborted: Promise<void>;
let markAborted: () => void;
const violations: string[] = [];

before(async () => {
  aborted = new Promise((resolve) => (markAborted = resolve));
  const hono = new Hono();
  hono.get('/users/:id', (c) => c.json({ id: c.req.param('id'), q: c.req.query('q') ?? null }));
  hono.post('/echo', async (c) => {
    const body = await c.req.json<Record<string, unknown>>();
    return c.json({ got: body, type: c.req.header('content-type') });
  });
  hono.post('/count', async (c) => {
    let total = 0;
    const reader = c.req.raw.body!.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) total += r.value.length;
    return c.text(String(total));
  });
  hono.get('/cookies', (c) => {
    c.header('Set-Cookie', 'a=1; Path=/', { append: true });
    c.header('Set-Cookie', 'b=2; Path=/', { append: true });
    return c.text('ok');
  });
  hono.get('/slow', (c) => {
    c.req.raw.signal.addEventListener('abort', () => markAborted());
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        await new Promise((r) => setTimeout(r, 10));
        ctrl.enqueue(new TextEncoder().encode('tick\n'));
      },
    });
    return new Response(body);
  });
  const app = validator(fromFetch(hono.fetch), { log: (l) => violations.push(l) });
  running = await serve(app, { port: 0, host: '127.0.0.1' });
});

after(async () => {
  await running.close();
});

function call(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: running.port, method, path, headers }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('Hono on the reference server: route params and the query', async () => {
  const res = await call('GET', '/users/42?q=x%20y');
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.body), { id: '42', q: 'x y' });
  assert.match(String(res.headers['content-type']), /application\/json/);
});

test('Hono: JSON request body', async () => {
  const res = await call('POST', '/echo', JSON.stringify({ name: 'tsgi', n: [1, 2] }), { 'content-type': 'application/json' });
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.body), { got: { name: 'tsgi', n: [1, 2] }, type: 'application/json' });
});

test('Hono: a chunked 8 MiB upload streams through tsgi.input', async () => {
  const res = await new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: running.port, method: 'POST', path: '/count' }, (r) => {
      let data = '';
      r.on('data', (d: Buffer) => (data += d));
      r.on('end', () => resolve(data));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 7);
    for (let i = 0; i < 128; i++) req.write(chunk);
    req.end();
  });
  assert.equal(res, String(8 * 1024 * 1024));
});

test('Hono: two Set-Cookie headers stay two', async () => {
  const res = await call('GET', '/cookies');
  assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
});

test('Hono: unknown route is 404, HEAD has no body', async () => {
  assert.equal((await call('GET', '/nope')).status, 404);
  const head = await call('HEAD', '/users/1');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});

test('Hono: a streamed response arrives chunk by chunk, and a client abort reaches request.signal', async () => {
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: running.port, path: '/slow' }, (res) => {
      res.once('data', (d: Buffer) => {
        assert.match(d.toString(), /^tick/);
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => undefined);
    req.once('error', reject);
    req.end();
  });
  await aborted;
  assert.deepEqual(violations, []);
});
