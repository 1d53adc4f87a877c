import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { request as httpsRequest } from 'node:https';
import { freePort } from '@tsgi/test-support';
import { makePki } from './edge-certs.ts';
import { RELOADED, basicConfig, get, getStatus, hupUntil, raw, startProxy, startUpstream, until, upstreamStats } from './helpers.ts';

// A HUP rebinds listeners as nginx does, whatever `workers` says (one process model: the arbiter's generation
// reload): the new workers listen where the new file says, a removed address stops accepting once the old workers
// have finished their in-flight requests, one that stays keeps its port. Each case runs with 1 and 2 workers.

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

function config(upstream: number, addresses: string[], admin = '127.0.0.1:0', workers = 1): string {
  return basicConfig([upstream], `workers: ${workers}`)
    .replace('listeners: [{ address: "127.0.0.1:0" }]', listeners(...addresses))
    .replace('admin: { address: "127.0.0.1:0" }', `admin: { address: "${admin}" }`);
}

/** Either outcome of a HUP: the new generation serves, the reload was cancelled, or a new worker could not boot. */
const SETTLED = /reloaded: generation \d+ serving|reload cancelled|reload failed/;

for (const workers of [1, 2]) {
  const conf = (upstream: number, addresses: string[], admin = '127.0.0.1:0'): string => config(upstream, addresses, admin, workers);

  test(`workers: ${workers}: a HUP that adds a listener binds it; the listener it had keeps its port`, { timeout: 60_000 }, async (t) => {
    const up = await startUpstream();
    t.after(() => up.kill());
    const proxy = await startProxy(conf(up.port, ['127.0.0.1:0']));
    t.after(() => proxy.kill());
    const added = await freePort();
    const out = await hupUntil(proxy, conf(up.port, ['127.0.0.1:0', `127.0.0.1:${added}`]), SETTLED, 'the reload');
    assert.match(out, RELOADED, 'the new generation serves');
    assert.doesNotMatch(out, /"level":[45]0/, 'no error, no warning');
    assert.equal((await get(added, '/echo')).status, 200, 'the added port serves');
    assert.equal((await get(proxy.port, '/echo')).status, 200, 'the kept port still serves');
  });

  test(`workers: ${workers}: a HUP that removes a listener closes its port once its request in flight is answered; the kept one serves throughout`, { timeout: 90_000 }, async (t) => {
    const up = await startUpstream();
    t.after(() => up.kill());
    const proxy = await startProxy(conf(up.port, ['127.0.0.1:0', '127.0.0.1:0']));
    t.after(() => proxy.kill());
    const [kept, removed] = proxy.ports as [number, number];
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    t.after(() => agent.destroy());

    // A request in flight on the listener that goes (long enough to outlast the new generation's boot), and load
    // on the one that stays, across the reload.
    const slow = get(removed, '/slow?ms=8000');
    await until(async () => (await upstreamStats(up.port)).last?.url.startsWith('/slow') === true, 10_000, 'the slow request to reach the upstream');
    let reloaded = false;
    const statuses: number[] = [];
    const loop = (async () => {
      let after = 0;
      for (let i = 0; i < 4000 && after < 50; i++) {
        statuses.push(await getStatus(kept, '/echo', agent));
        if (reloaded) after++;
      }
    })();
    const out = await hupUntil(proxy, conf(up.port, ['127.0.0.1:0']), SETTLED, 'the reload');
    reloaded = true;
    assert.match(out, RELOADED, 'the new generation serves');
    assert.doesNotMatch(out, /"level":[45]0/, 'no error, no warning');
    await until(async () => (await connectResult(removed)) === 'ECONNREFUSED', 10_000, 'the removed port to refuse new connections');
    const answer = await slow;
    assert.equal(answer.status, 200, 'the request in flight on the removed listener is answered');
    assert.equal(answer.headers.connection, 'close', 'and its connection closes after it');
    await loop;
    assert.ok(statuses.length > 50, `the loop ran (${statuses.length} requests)`);
    assert.deepEqual(statuses.filter((s) => s !== 200), [], `0 failed requests on the kept port out of ${statuses.length}`);
    assert.equal((await get(kept, '/echo')).status, 200);
  });

  test(`workers: ${workers}: a HUP whose new listener port is in use keeps the running listeners and config; once free, the same file applies`, { timeout: 90_000 }, async (t) => {
    const a = await startUpstream();
    const b = await startUpstream();
    t.after(() => a.kill());
    t.after(() => b.kill());
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    t.after(() => busy.close());
    const busyPort = (busy.address() as { port: number }).port;
    const proxy = await startProxy(conf(a.port, ['127.0.0.1:0', '127.0.0.1:0']));
    t.after(() => proxy.kill());
    const from = proxy.output().length;
    const out = await hupUntil(proxy, conf(b.port, ['127.0.0.1:0', '127.0.0.1:0', `127.0.0.1:${busyPort}`]), SETTLED, 'the reload');
    assert.match(out, new RegExp(`reload failed, keeping the previous workers: Worker failed to boot: cannot listen on 127\\.0\\.0\\.1:${busyPort} \\(listeners\\.2\\.address\\): address already in use`));
    // Every new worker goes (one fails to boot, any other fails too or is stopped by the rollback).
    await until(() => (proxy.output().slice(from).match(/worker \(pid:\d+\) exited/g) ?? []).length >= workers, 20_000, 'the new workers to exit');
    for (const port of proxy.ports) assert.equal(JSON.parse((await get(port, '/echo')).body).port, a.port, `port ${port} serves with the old config`);
    assert.equal(proxy.child.exitCode, null, 'the proxy is still running');

    await new Promise<void>((resolve) => busy.close(() => resolve()));
    const second = await hupUntil(proxy, conf(b.port, ['127.0.0.1:0', '127.0.0.1:0', `127.0.0.1:${busyPort}`]), SETTLED, 'the second reload');
    assert.match(second, RELOADED);
    for (const port of [...proxy.ports, busyPort]) {
      await until(async () => JSON.parse((await get(port, '/echo')).body).port === b.port, 20_000, `port ${port} to serve with the new config`);
    }
  });

  test(`workers: ${workers}: a HUP that moves the admin port binds the new one and closes the old; a busy one refuses the reload`, { timeout: 60_000 }, async (t) => {
    const up = await startUpstream();
    t.after(() => up.kill());
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    t.after(() => busy.close());
    const busyPort = (busy.address() as { port: number }).port;
    const proxy = await startProxy(conf(up.port, ['127.0.0.1:0']));
    t.after(() => proxy.kill());
    const oldAdmin = proxy.admin as number;

    const refused = await hupUntil(proxy, conf(up.port, ['127.0.0.1:0'], `127.0.0.1:${busyPort}`), SETTLED, 'the busy admin reload');
    assert.match(refused, new RegExp(`reload cancelled: cannot listen on 127\\.0\\.0\\.1:${busyPort} \\(admin\\.address\\): address already in use`));
    assert.equal((await get(oldAdmin, '/healthz')).status, 200, 'the old admin port still answers');

    const moved = await freePort();
    const out = await hupUntil(proxy, conf(up.port, ['127.0.0.1:0'], `127.0.0.1:${moved}`), SETTLED, 'the admin move');
    assert.match(out, RELOADED);
    assert.doesNotMatch(out, /"level":[45]0/, 'no error, no warning');
    assert.match(out, new RegExp(`"admin":"127\\.0\\.0\\.1:${moved}".*reload: admin port moved`));
    assert.equal((await get(moved, '/healthz')).status, 200, 'the new admin port answers');
    assert.equal(await connectResult(oldAdmin), 'ECONNREFUSED', 'the old admin port is closed');
    assert.equal((await get(proxy.port, '/echo')).status, 200);
  });

  test(`workers: ${workers}: a HUP that turns on PROXY protocol for a kept address applies it to new connections on the same port`, { timeout: 60_000 }, async (t) => {
    const up = await startUpstream();
    t.after(() => up.kill());
    const proxy = await startProxy(conf(up.port, ['127.0.0.1:0']));
    t.after(() => proxy.kill());
    assert.equal((await get(proxy.port, '/echo')).status, 200);
    const withPp = conf(up.port, ['127.0.0.1:0']).replace('{ address: "127.0.0.1:0" }', '{ address: "127.0.0.1:0", proxyProtocol: true }');
    const out = await hupUntil(proxy, withPp, SETTLED, 'the reload');
    assert.match(out, RELOADED);
    // The old workers stop accepting as they drain: wait until every one of them has gone.
    await until(() => (proxy.output().match(/exited: reload/g) ?? []).length >= workers, 20_000, 'the old workers to leave');
    const plain = await get(proxy.port, '/echo').then((r) => r.status, (err: NodeJS.ErrnoException) => err.code);
    assert.notEqual(plain, 200, 'a request without a PROXY header is no longer served');
    const viaPp = await raw(proxy.port, 'PROXY TCP4 203.0.113.7 127.0.0.1 5000 80\r\nGET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(viaPp, /^HTTP\/1\.1 200 /, 'one with a PROXY header is');
  });

  test(`workers: ${workers}: a HUP that turns on TLS for a kept address serves HTTPS on the same port; a bad certificate refuses the reload`, { timeout: 60_000 }, async (t) => {
    const pki = makePki();
    t.after(() => pki.cleanup());
    const leaf = pki.issue('localhost', ['localhost', '127.0.0.1']);
    const up = await startUpstream();
    t.after(() => up.kill());
    const proxy = await startProxy(conf(up.port, ['127.0.0.1:0']));
    t.after(() => proxy.kill());
    const tlsOn = (cert: string) => conf(up.port, ['127.0.0.1:0']).replace('{ address: "127.0.0.1:0" }', `{ address: "127.0.0.1:0", tls: { certs: [{ cert: "${cert}", key: "${leaf.key}" }] } }`);
    const refused = await hupUntil(proxy, tlsOn('/nonexistent/x.pem'), SETTLED, 'the bad certificate reload');
    assert.match(refused, /reload cancelled: tls: cannot read certificate \/nonexistent\/x\.pem/);
    assert.equal((await get(proxy.port, '/echo')).status, 200, 'plain HTTP still served');

    const out = await hupUntil(proxy, tlsOn(leaf.cert), SETTLED, 'the TLS reload');
    assert.match(out, RELOADED);
    await until(() => (proxy.output().match(/exited: reload/g) ?? []).length >= workers, 20_000, 'the old workers to leave');
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

  // A listener added on port 0 used to get no port from the master (each new generation picked one nobody was told
  // of); now the master picks it as at start and names it in one line.
  test(`workers: ${workers}: a HUP that adds a port-0 listener names its port and the new workers serve it; removing it closes it after the drain`, { timeout: 90_000 }, async (t) => {
    const up = await startUpstream();
    t.after(() => up.kill());
    const proxy = await startProxy(conf(up.port, ['127.0.0.1:0']));
    t.after(() => proxy.kill());
    const out = await hupUntil(proxy, conf(up.port, ['127.0.0.1:0', '127.0.0.1:0']), /"listenersAdded":\["127\.0\.0\.1:\d+"\]|reload cancelled/, 'the listener change to be logged');
    const added = Number(/"listenersAdded":\["127\.0\.0\.1:(\d+)"\]/.exec(out)?.[1]);
    assert.ok(added > 0 && added !== proxy.port, `a concrete new port in: ${out}`);
    await until(async () => (await get(added, '/echo').then((r) => r.status, () => 0)) === 200, 30_000, 'the new generation to serve the added port');
    assert.equal((await get(proxy.port, '/echo')).status, 200, 'the kept port serves');

    const back = await hupUntil(proxy, conf(up.port, ['127.0.0.1:0']), /"listenersRemoved":\["127\.0\.0\.1:\d+"\]|reload cancelled/, 'the removal to be logged');
    assert.match(back, new RegExp(`"listenersRemoved":\\["127\\.0\\.0\\.1:${added}"\\]`));
    await until(async () => (await connectResult(added)) === 'ECONNREFUSED', 30_000, 'the removed port to close once the old workers are gone');
    assert.equal((await get(proxy.port, '/echo')).status, 200, 'the kept port serves');
  });
}
