import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import { validateConfig, type UpstreamConfig } from '../src/index.ts';
import { UpstreamGroup } from '../src/upstream-group.ts';
import { adminJson, get, startProxy, startUpstream, until } from './helpers.ts';

/** A tiny authoritative DNS server on UDP 127.0.0.1 that the test controls: A records only, TTL 1; `slow` names are answered after 600 ms. */
async function startDns(records: Map<string, string[]>, slow: ReadonlySet<string> = new Set()): Promise<{ port: number; socket: Socket; queries: () => number }> {
  const socket = createSocket('udp4');
  let queries = 0;
  // Slow answers still pending when the test closes the server are dropped.
  const delayed = new Set<NodeJS.Timeout>();
  socket.on('close', () => delayed.forEach(clearTimeout));
  socket.on('message', (msg, rinfo) => {
    queries++;
    let off = 12;
    const labels: string[] = [];
    for (let len = msg[off]; len !== 0; len = msg[off]) {
      assert.ok(len !== undefined, 'the query name ends inside the message');
      labels.push(msg.toString('latin1', off + 1, off + 1 + len));
      off += len + 1;
    }
    const qEnd = off + 5;
    const qtype = msg.readUInt16BE(off + 1);
    const name = labels.join('.').toLowerCase();
    const ips = records.get(name);
    const answers = qtype === 1 && ips ? ips : [];
    const head = Buffer.alloc(12);
    msg.copy(head, 0, 0, 2);
    head.writeUInt16BE(ips ? 0x8180 : 0x8183, 2);
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(answers.length, 6);
    const rrs = answers.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(1, 6);
      rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((o, i) => (rr[12 + i] = Number(o)));
      return rr;
    });
    const answer = (): void => socket.send(Buffer.concat([head, msg.subarray(12, qEnd), ...rrs]), rinfo.port, rinfo.address);
    if (slow.has(name)) delayed.add(setTimeout(answer, 600));
    else answer();
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { port: socket.address().port, socket, queries: () => queries };
}

test('DNS names are re-resolved: endpoints added and removed live, in-flight requests finish', { timeout: 60_000 }, async () => {
  const a = await startUpstream(0, '127.0.0.1');
  const b = await startUpstream(a.port, '127.0.0.2');
  const records = new Map([['app.internal.test', ['127.0.0.1']]]);
  const dns = await startDns(records);
  const proxy = await startProxy(`listeners: [{ address: "127.0.0.1:0" }]
admin: { address: "127.0.0.1:0" }
accessLog: false
upstreams:
  app:
    servers: ["app.internal.test:${a.port}"]
    resolve: { interval: 200ms, minInterval: 100ms, servers: ["127.0.0.1:${dns.port}"] }
routes: [{ upstream: app }]
`);
  const hosts = async (n: number): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) seen.add(JSON.parse((await get(proxy.port, '/echo')).body).host);
    return seen;
  };
  try {
    assert.deepEqual([...(await hosts(6))], ['127.0.0.1']);

    records.set('app.internal.test', ['127.0.0.1', '127.0.0.2']);
    await until(async () => (await hosts(4)).size === 2, 10_000, 'the added endpoint to serve');

    // One slow request on each endpoint, then 127.0.0.1 leaves DNS while they run.
    const slow = [get(proxy.port, '/slow?ms=1500'), get(proxy.port, '/slow?ms=1500')];
    await new Promise((r) => setTimeout(r, 100));
    records.set('app.internal.test', ['127.0.0.2']);
    await until(async () => {
      const view = await adminJson(proxy.admin!);
      return view.upstreams.app?.endpoints.length === 1;
    }, 10_000, 'the removed endpoint to leave the group');
    const done = await Promise.all(slow);
    assert.deepEqual(
      done.map((r) => r.status),
      [200, 200],
    );
    assert.deepEqual(new Set(done.map((r) => JSON.parse(r.body).host)), new Set(['127.0.0.1', '127.0.0.2']));
    assert.deepEqual([...(await hosts(6))], ['127.0.0.2']);
    assert.ok(dns.queries() >= 3);
  } finally {
    await proxy.kill();
    dns.socket.close();
    await a.kill();
    await b.kill();
  }
});

test('a reload that drops a DNS-named server while the new names resolve slowly: the old re-resolve timer finds no entry and stops, nothing throws', { timeout: 20_000 }, async () => {
  const records = new Map([['one.internal.test', ['127.0.0.1']], ['two.internal.test', ['127.0.0.2']], ['slow.internal.test', ['127.0.0.3']]]);
  const dns = await startDns(records, new Set(['slow.internal.test']));
  const upstream = (servers: string[]): UpstreamConfig => {
    const resolve = { interval: '100ms', minInterval: '100ms', servers: [`127.0.0.1:${dns.port}`] };
    return validateConfig({ upstreams: { app: { servers, resolve } }, routes: [{ upstream: 'app' }] }, 'test').upstreams.app!;
  };
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => void rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  const group = new UpstreamGroup('app', upstream(['one.internal.test:80', 'two.internal.test:80']), {
    ejected: () => {},
    endpointsChanged: () => {},
    resolveFailed: () => {},
  });
  try {
    await group.start();
    assert.equal(group.endpoints.length, 2);
    // One entry now, and its name takes 600 ms: the old 100 ms timer of entry 1 fires meanwhile.
    await group.reconfigure(upstream(['slow.internal.test:80']));
    await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual(group.endpoints.map((e) => e.id), ['127.0.0.3:80']);
    assert.deepEqual(rejections, []);
  } finally {
    group.stop();
    process.off('unhandledRejection', onRejection);
    dns.socket.close();
  }
});
