import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import { basicConfig, get, startProxy, startUpstream, type Reply } from './helpers.ts';

const TOKEN = 'test-token-0123456789abcdef';

/** This host's first non-loopback IPv4 address: a peer that is not loopback, without a second machine. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;

/** GET `path` from the admin port at `host` (a non-loopback peer when `host` is this machine's external address). */
const fetchFrom = (host: string, port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> => get(port, path, headers, 'GET', undefined, host);

// The admin port binds 0.0.0.0 in Compose and Kubernetes so Prometheus can scrape /metrics, and served
// /upstreams (every endpoint's address, state and load) to any peer. Now /upstreams answers loopback peers
// (kubectl port-forward, exec) and, from elsewhere, only a request with the admin bearer token.
test('an admin port on every interface serves /upstreams to loopback peers, and to others only with the bearer token', { skip: external === undefined ? 'this host has no non-loopback IPv4 address' : false, timeout: 60_000 }, async () => {
  const a = await startUpstream();
  const withToken = await startProxy(basicConfig([a.port]).replace('admin: { address: "127.0.0.1:0" }', 'admin: { address: "0.0.0.0:0" }'), [], { TSGI_PROXY_ADMIN_TOKEN: TOKEN });
  const without = await startProxy(basicConfig([a.port]).replace('admin: { address: "127.0.0.1:0" }', 'admin: { address: "0.0.0.0:0" }'));
  const host = external!; // the test is skipped without one
  try {
    for (const proxy of [withToken, without]) {
      assert.equal((await fetchFrom('127.0.0.1', proxy.admin!, '/upstreams')).status, 200, 'a loopback peer reads /upstreams');
      for (const path of ['/metrics', '/healthz', '/readyz']) assert.equal((await fetchFrom(host, proxy.admin!, path)).status, 200, `${path} stays open to ${host}`);
    }
    const anonymous = await fetchFrom(host, withToken.admin!, '/upstreams');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer realm="tsgi-proxy admin"');
    assert.doesNotMatch(anonymous.body, /127\.0\.0\.1/, 'no endpoint address leaks in the refusal');
    assert.equal((await fetchFrom(host, withToken.admin!, '/upstreams', { authorization: 'Bearer wrong-token-wrong-token' })).status, 401);
    const authorized = await fetchFrom(host, withToken.admin!, '/upstreams', { authorization: `Bearer ${TOKEN}` });
    assert.equal(authorized.status, 200);
    assert.match(authorized.body, new RegExp(`127\\.0\\.0\\.1:${a.port}`));
    const noToken = await fetchFrom(host, without.admin!, '/upstreams', { authorization: `Bearer ${TOKEN}` });
    assert.equal(noToken.status, 403);
    assert.match(noToken.body, /loopback peers only; set admin\.tokenFile or TSGI_PROXY_ADMIN_TOKEN/);
  } finally {
    await withToken.kill();
    await without.kill();
    await a.kill();
  }
});
