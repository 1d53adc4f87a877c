import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { MasterServices } from '../src/master-services.js';
import { createStatusServer, listenStatusServer, type HealthState, type StatusExtension, type StatusServer } from '../src/status/status-server.js';

// The one `/metrics` + `/healthz` + `/readyz` server of both tiers (tsgi-appserver's --metrics-bind, tsgi-proxy's
// admin port). Before, each tier had its own: different JSON bodies, and only the proxy answered HEAD without a body.

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function ask(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function serve(health: () => HealthState, extension?: StatusExtension, metrics = async () => ({ contentType: 'text/plain; version=0.0.4', body: 'up 1\n' })): Promise<StatusServer & { port: number }> {
  const s = await listenStatusServer(createStatusServer({ metrics, health, extension }), { host: '127.0.0.1', port: 0 });
  return { ...s, port: (s.bound as { port: number }).port };
}

test('/healthz and /readyz answer one JSON shape through start, serving and draining', async (t) => {
  let state: HealthState = { booted: false, ready: false, draining: false, workers: 0 };
  const s = await serve(() => state);
  t.after(() => s.close());
  const both = async (): Promise<[number, unknown, number, unknown]> => {
    const h = await ask(s.port, '/healthz');
    const r = await ask(s.port, '/readyz');
    assert.equal(h.headers['content-type'], 'application/json');
    assert.equal(h.headers['cache-control'], 'no-store');
    return [h.status, JSON.parse(h.body), r.status, JSON.parse(r.body)];
  };
  assert.deepEqual(await both(), [503, { status: 'starting', workers: 0 }, 503, { status: 'starting', workers: 0 }], 'no worker ever booted');
  state = { booted: true, ready: true, draining: false, workers: 2 };
  assert.deepEqual(await both(), [200, { status: 'ok', workers: 2 }, 200, { status: 'ready', workers: 2 }], 'serving');
  state = { booted: true, ready: false, draining: false, workers: 0 };
  assert.deepEqual(await both(), [200, { status: 'ok', workers: 0 }, 503, { status: 'starting', workers: 0 }], 'every worker gone after one booted: alive, not ready');
  state = { booted: true, ready: true, draining: true, workers: 2 };
  assert.deepEqual(await both(), [200, { status: 'draining', workers: 2 }, 503, { status: 'draining', workers: 2 }], 'draining: alive, not ready');
});

test('HEAD gets the status and headers of GET and no body, on every route', async (t) => {
  const s = await serve(() => ({ booted: true, ready: true, draining: false, workers: 1 }));
  t.after(() => s.close());
  for (const path of ['/metrics', '/healthz', '/readyz', '/nope']) {
    const get = await ask(s.port, path);
    const head = await ask(s.port, path, 'HEAD');
    assert.equal(head.status, get.status, path);
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(get.body)), path);
    assert.equal(head.headers['content-type'], get.headers['content-type'], path);
    assert.equal(head.body, '', path);
  }
});

test('other methods get 405 with Allow, unknown paths 404 naming the routes, a failing metrics source 500', async (t) => {
  const s = await serve(
    () => ({ booted: true, ready: true, draining: false, workers: 1 }),
    undefined,
    () => Promise.reject(new Error('collect failed')),
  );
  t.after(() => s.close());
  const post = await ask(s.port, '/metrics', 'POST');
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
  const missing = await ask(s.port, '/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.body, 'not found: try /metrics, /healthz, /readyz\n');
  const metrics = await ask(s.port, '/metrics?x=1');
  assert.equal(metrics.status, 500);
  assert.equal(metrics.body, 'metrics: collect failed\n');
});

test("a tier's extension answers its own routes and methods; what it declines gets the server's 404 and 405", async (t) => {
  const extension: StatusExtension = {
    methods: ['POST'],
    paths: ['/upstreams'],
    handle(req, _res, path, reply) {
      if (path === '/upstreams' && req.method === 'GET') reply(200, 'application/json', '{"workers":[]}\n');
      else if (path === '/reload' && req.method === 'POST') reply(202, 'application/json', '{"reload":"started"}\n');
      else return false;
      return true;
    },
  };
  const s = await serve(() => ({ booted: true, ready: true, draining: false, workers: 1 }), extension);
  t.after(() => s.close());
  assert.deepEqual(JSON.parse((await ask(s.port, '/upstreams')).body), { workers: [] });
  assert.equal((await ask(s.port, '/reload', 'POST')).status, 202);
  assert.equal((await ask(s.port, '/healthz')).status, 200, 'the shared routes still answer');
  const put = await ask(s.port, '/upstreams', 'PUT');
  assert.equal(put.status, 405);
  assert.equal(put.headers.allow, 'GET, HEAD, POST');
  assert.equal((await ask(s.port, '/nope')).body, 'not found: try /metrics, /upstreams, /healthz, /readyz\n');
});

test('MasterServices: port 0 is picked and held; a pick that fails releases the others and throws the caller\'s error', async (t) => {
  const services = new MasterServices();
  t.after(() => services.close());
  const [fixed, picked] = await services.reservePorts(
    [
      { host: '127.0.0.1', port: 1 },
      { host: '127.0.0.1', port: 0 },
    ],
    () => new Error('not expected'),
  );
  assert.deepEqual(fixed, { host: '127.0.0.1', port: 1 }, 'a fixed port is left as it is');
  assert.ok(picked !== undefined && picked.port > 0, 'port 0 got a port');
  assert.equal(await bindCode(picked.port), 'EADDRINUSE', 'the pick stays bound');
  assert.equal(services.reservation.held, true);

  // 192.0.2.1 (TEST-NET-1) is no address of this host.
  const failure = services.reservePorts([{ host: '127.0.0.1', port: 0 }, { host: '192.0.2.1', port: 0 }], (i, err) => new Error(`target ${i}: ${(err as NodeJS.ErrnoException).code}`));
  await assert.rejects(failure, /^Error: target 1: EADDRNOTAVAIL$/);
  assert.equal(services.reservation.held, false, 'every pick released');
  assert.equal(await bindCode(picked.port), undefined, 'the earlier pick is free again');
});

/** The error code binding 127.0.0.1:`port` exclusively gets here, or undefined if it could. */
function bindCode(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(undefined)));
  });
}
