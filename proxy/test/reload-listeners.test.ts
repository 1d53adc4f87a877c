import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { request as httpsRequest } from 'node:https';
import { freePort } from '@tsgi/test-support';
import { makePki } from './edge-certs.ts';
import { basicConfig, get, getStatus, hupUntil, raw, startProxy, startUpstream, until, upstreamStats } from './helpers.ts';

// Single-process (`workers: 1`) HUP rebinds listeners as nginx does: an added address is bound, a removed one stops
// accepting once its in-flight requests finish, one that stays keeps its socket. Before, such a HUP only warned that
// listeners apply at start, so the new port refused and the removed one kept serving.

/** Resolves with the connect error code, or 'connected'. */
function connectResult(port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve('connected');
    });
    sock.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

const listeners = (...addresses: string[]): string => `listeners: [${addresses.map((a) => `{ address: "${a}" }`).join(', ')}]`;

function config(upstream: number, addresses: string[], admin = '127.0.0.1:0'): string {
  return basicConfig([upstream])
    .replace('listeners: [{ address: "127.0.0.1:0" }]', listeners(...addresses))
    .replace('admin: { address: "127.0.0.1:0" }', `admin: { address: "${admin}" }`);
}

test('single process: a HUP that adds a listener binds it; the listener it had keeps its port', { timeout: 60_000 }, async (t) => {
  const up = await startUpstream();
  t.after(() => up.kill());
  const proxy = await startProxy(config(up.port, ['127.0.0.1:0']));
  t.after(() => proxy.kill());
  const added = await freePort();
  await hupUntil(proxy, config(up.port, ['127.0.0.1:0', `127.0.0.1:${added}`]), /config reloaded|reload refused/, 'the reload');
  assert.doesNotMatch(proxy.output(), /reload refused|"level":40/, 'no refusal, no warning');
  assert.equal((await get(added, '/echo')).status, 200, 'the added port serves');
  assert.equal((await get(proxy.port, '/echo')).status, 200, 'the kept port still serves');
});

test('single process: a HUP that removes a listener closes its port once its request in flight is answered; the kept one serves throughout', { timeout: 60_000 }, async (t) => {
  const up = await startUpstream();
  t.after(() => up.kill());
  const proxy = await startProxy(config(up.port, ['127.0.0.1:0', '127.0.0.1:0']));
  t.after(() => proxy.kill());
  const [kept, removed] = proxy.ports as [number, number];
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  t.after(() => agent.destroy());

  // A request in flight on the listener that goes, and load on the one that stays, across the reload.
  const slow = get(removed, '/slow?ms=1500');
  await until(async () => (await upstreamStats(up.port)).last?.url.startsWith('/slow') === true, 10_000, 'the slow request to reach the upstream');
  let reloaded = false;
  const statuses: number[] = [];
  const loop = (async () => {
    let after = 0;
    for (let i = 0; i < 2000 && after < 50; i++) {
      statuses.push(await getStatus(kept, '/echo', agent));
      if (reloaded) after++;
    }
  })();
  await hupUntil(proxy, config(up.port, ['127.0.0.1:0']), /config reloaded|reload refused/, 'the reload');
  reloaded = true;
  assert.doesNotMatch(proxy.output(), /reload refused|"level":40/, 'no refusal, no warning');
  assert.equal(await connectResult(removed), 'ECONNREFUSED', 'the removed port refuses new connections');
  const answer = await slow;
  assert.equal(answer.status, 200, 'the request in flight on the removed listener is answered');
  assert.equal(answer.headers.connection, 'close', 'and its connection closes after it');
  await loop;
  assert.ok(statuses.length > 50, `the loop ran (${statuses.length} requests)`);
  assert.deepEqual(statuses.filter((s) => s !== 200), [], `0 failed requests on the kept port out of ${statuses.length}`);
  await until(() => /listener removed by reload closed/.test(proxy.output()), 10_000, 'the removed listener to finish draining');
  assert.equal((await get(kept, '/echo')).status, 200);
});

test('single process: a HUP whose new listener port is in use is refused in one line; the running listeners and config stay', { timeout: 60_000 }, async (t) => {
  const a = await startUpstream();
  const b = await startUpstream();
  t.after(() => a.kill());
  t.after(() => b.kill());
  const busy: Server = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.after(() => busy.close());
  const busyPort = (busy.address() as { port: number }).port;
  const proxy = await startProxy(config(a.port, ['127.0.0.1:0', '127.0.0.1:0']));
  t.after(() => proxy.kill());
  const out = await hupUntil(proxy, config(b.port, ['127.0.0.1:0', '127.0.0.1:0', `127.0.0.1:${busyPort}`]), /config reloaded|reload refused/, 'the reload');
  const refusals = out.split('\n').filter((l) => l.includes('reload refused'));
  assert.equal(refusals.length, 1, `one refusal line in: ${out}`);
  assert.match(JSON.parse(refusals[0] as string).err, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busyPort} \\(listeners\\.2\\.address\\): address already in use`));
  assert.doesNotMatch(out, /config reloaded/);
  for (const port of proxy.ports) assert.equal(JSON.parse((await get(port, '/echo')).body).port, a.port, `port ${port} serves with the old config`);

  // Once the port is free the same file applies.
  await new Promise<void>((resolve) => busy.close(() => resolve()));
  const second = await hupUntil(proxy, config(b.port, ['127.0.0.1:0', '127.0.0.1:0', `127.0.0.1:${busyPort}`]), /config reloaded|reload refused/, 'the second reload');
  assert.doesNotMatch(second, /reload refused/);
  for (const port of [...proxy.ports, busyPort]) assert.equal(JSON.parse((await get(port, '/echo')).body).port, b.port, `port ${port} serves with the new config`);
});

test('single process: a HUP that moves the admin port binds the new one and closes the old; a busy one refuses the reload', { timeout: 60_000 }, async (t) => {
  const up = await startUpstream();
  t.after(() => up.kill());
  const busy: Server = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  t.after(() => busy.close());
  const busyPort = (busy.address() as { port: number }).port;
  const proxy = await startProxy(config(up.port, ['127.0.0.1:0']));
  t.after(() => proxy.kill());
  const oldAdmin = proxy.admin as number;

  const refused = await hupUntil(proxy, config(up.port, ['127.0.0.1:0'], `127.0.0.1:${busyPort}`), /config reloaded|reload refused/, 'the busy admin reload');
  assert.match(refused, new RegExp(`"err":"cannot listen on 127\\.0\\.0\\.1:${busyPort} \\(admin\\.address\\): address already in use","msg":"reload refused`));
  assert.equal((await get(oldAdmin, '/healthz')).status, 200, 'the old admin port still answers');

  const moved = await freePort();
  const out = await hupUntil(proxy, config(up.port, ['127.0.0.1:0'], `127.0.0.1:${moved}`), /config reloaded|reload refused/, 'the admin move');
  assert.doesNotMatch(out, /reload refused|"level":40/, 'no refusal, no warning');
  assert.equal((await get(moved, '/healthz')).status, 200, 'the new admin port answers');
  assert.equal(await connectResult(oldAdmin), 'ECONNREFUSED', 'the old admin port is closed');
  assert.equal((await get(proxy.port, '/echo')).status, 200);
});

test('single process: a HUP that turns on PROXY protocol for a kept address applies it to new connections on the same port', { timeout: 60_000 }, async (t) => {
  const up = await startUpstream();
  t.after(() => up.kill());
  const proxy = await startProxy(config(up.port, ['127.0.0.1:0']));
  t.after(() => proxy.kill());
  assert.equal((await get(proxy.port, '/echo')).status, 200);
  const withPp = config(up.port, ['127.0.0.1:0']).replace('{ address: "127.0.0.1:0" }', '{ address: "127.0.0.1:0", proxyProtocol: true }');
  await hupUntil(proxy, withPp, /config reloaded|reload refused/, 'the reload');
  assert.doesNotMatch(proxy.output(), /reload refused|"level":40/);
  const plain = await get(proxy.port, '/echo').then((r) => r.status, (err: NodeJS.ErrnoException) => err.code);
  assert.notEqual(plain, 200, 'a request without a PROXY header is no longer served');
  const viaPp = await raw(proxy.port, 'PROXY TCP4 203.0.113.7 127.0.0.1 5000 80\r\nGET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(viaPp, /^HTTP\/1\.1 200 /, 'one with a PROXY header is');
});

test('single process: a HUP that turns on TLS for a kept address serves HTTPS on the same port; a bad certificate refuses the reload', { timeout: 60_000 }, async (t) => {
  const pki = makePki();
  t.after(() => pki.cleanup());
  const leaf = pki.issue('localhost', ['localhost', '127.0.0.1']);
  const up = await startUpstream();
  t.after(() => up.kill());
  const proxy = await startProxy(config(up.port, ['127.0.0.1:0']));
  t.after(() => proxy.kill());
  const tlsOn = (cert: string) => config(up.port, ['127.0.0.1:0']).replace('{ address: "127.0.0.1:0" }', `{ address: "127.0.0.1:0", tls: { certs: [{ cert: "${cert}", key: "${leaf.key}" }] } }`);
  const refused = await hupUntil(proxy, tlsOn('/nonexistent/x.pem'), /config reloaded|reload refused/, 'the bad certificate reload');
  assert.match(refused, /cannot read certificate \/nonexistent\/x\.pem.*reload refused/);
  assert.equal((await get(proxy.port, '/echo')).status, 200, 'plain HTTP still served');

  await hupUntil(proxy, tlsOn(leaf.cert), /config reloaded|reload refused/, 'the TLS reload');
  assert.doesNotMatch(proxy.output(), /config reloaded.*\n.*reload refused/);
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: proxy.port, path: '/echo', ca: pki.ca, servername: 'localhost', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(status, 200, 'HTTPS on the same port');
});

// --workers 2: a HUP replaces the workers, and the new generation listens where the new file says. A listener added
// on port 0 used to get no port from the master (each new generation picked one nobody was told of); now the master
// picks it as at start and names it in one line.
test('--workers 2: a HUP that adds a port-0 listener names its port and the new workers serve it; removing it closes it after the drain', { timeout: 90_000 }, async (t) => {
  const up = await startUpstream();
  t.after(() => up.kill());
  const proxy = await startProxy(config(up.port, ['127.0.0.1:0']).replace('accessLog: false', 'accessLog: false\nworkers: 2'));
  t.after(() => proxy.kill());
  const two = config(up.port, ['127.0.0.1:0', '127.0.0.1:0']).replace('accessLog: false', 'accessLog: false\nworkers: 2');
  const out = await hupUntil(proxy, two, /"listenersAdded":\["127\.0\.0\.1:\d+"\]|reload cancelled/, 'the listener change to be logged');
  const added = Number(/"listenersAdded":\["127\.0\.0\.1:(\d+)"\]/.exec(out)?.[1]);
  assert.ok(added > 0 && added !== proxy.port, `a concrete new port in: ${out}`);
  await until(async () => (await get(added, '/echo').then((r) => r.status, () => 0)) === 200, 30_000, 'the new generation to serve the added port');
  assert.equal((await get(proxy.port, '/echo')).status, 200, 'the kept port serves');

  const back = await hupUntil(proxy, config(up.port, ['127.0.0.1:0']).replace('accessLog: false', 'accessLog: false\nworkers: 2'), /"listenersRemoved":\["127\.0\.0\.1:\d+"\]|reload cancelled/, 'the removal to be logged');
  assert.match(back, new RegExp(`"listenersRemoved":\\["127\\.0\\.0\\.1:${added}"\\]`));
  await until(async () => (await connectResult(added)) === 'ECONNREFUSED', 30_000, 'the removed port to close once the old workers are gone');
  assert.equal((await get(proxy.port, '/echo')).status, 200, 'the kept port serves');
});
