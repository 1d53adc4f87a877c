import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasPromtool } from '@tsgi/test-support';
import { validateConfig, type UpstreamConfig } from '../src/index.ts';
import { UpstreamGroup } from '../src/upstream/upstream-group.ts';
import { soleWorkerUpstreams, assertPromtool, get, startProxy, startUpstream, until } from './helpers.ts';
import { startDns } from './dns-server.ts';

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
      const upstreams = await soleWorkerUpstreams(proxy.admin!);
      return upstreams.app?.endpoints.length === 1;
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

test('NXDOMAIN keeps the last endpoints (resolve.nxdomain: keep, the default); resolve.nxdomain: empty empties the group; failures are counted by reason', { timeout: 60_000 }, async (t) => {
  const a = await startUpstream();
  const records = new Map([['app.internal.test', ['127.0.0.1']]]);
  const dns = await startDns(records);
  const resolve = `resolve: { interval: 100ms, minInterval: 100ms, servers: ["127.0.0.1:${dns.port}"] }`;
  const proxy = await startProxy(`listeners: [{ address: "127.0.0.1:0" }]
admin: { address: "127.0.0.1:0" }
accessLog: false
workers: 2
upstreams:
  kept:
    servers: ["app.internal.test:${a.port}"]
    ${resolve}
  emptied:
    servers: ["app.internal.test:${a.port}"]
    resolve: { interval: 100ms, minInterval: 100ms, servers: ["127.0.0.1:${dns.port}"], nxdomain: empty }
routes: [{ host: kept.test, upstream: kept }, { host: emptied.test, upstream: emptied }]
`);
  const statuses = async (host: string, n: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await get(proxy.port, '/echo', { host })).status);
    return out;
  };
  const metrics = async (): Promise<string> => (await get(proxy.admin!, '/metrics')).body;
  try {
    assert.deepEqual(await statuses('kept.test', 4), [200, 200, 200, 200]);
    assert.deepEqual(await statuses('emptied.test', 4), [200, 200, 200, 200]);

    records.delete('app.internal.test');
    await until(async () => /tsgi_proxy_dns_failures_total\{upstream="kept",reason="nxdomain"\} ([3-9]|\d\d+)/.test(await metrics()), 10_000, 'several NXDOMAIN answers to be counted');
    await until(async () => (await statuses('emptied.test', 2)).every((s) => s === 502), 10_000, 'the nxdomain: empty group to empty');
    assert.deepEqual(await statuses('kept.test', 10), new Array(10).fill(200), 'NXDOMAIN must not empty a group by default');
    assert.match(proxy.output(), /"upstream":"kept".*"reason":"nxdomain".*"kept":1.*DNS resolution failed; keeping last endpoints/);
    const text = await metrics();
    if (hasPromtool()) assertPromtool(text);
    else t.diagnostic('promtool not installed (Debian package prometheus): exposition format not checked');
    assert.doesNotMatch(text, /tsgi_proxy_dns_failures_total\{upstream="emptied"/, 'with nxdomain: empty, NXDOMAIN is an answer, not a failure');

    records.set('app.internal.test', ['127.0.0.1']);
    await until(async () => (await statuses('emptied.test', 2)).every((s) => s === 200), 10_000, 'the emptied group to serve again once the name answers');
  } finally {
    await proxy.kill();
    dns.socket.close();
    await a.kill();
  }
});
