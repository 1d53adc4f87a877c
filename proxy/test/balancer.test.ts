import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsistentHash, Endpoint, LeastConnections, PowerOfTwo, RetryBudget, RoundRobin, validateConfig, type UpstreamConfig } from '../src/index.ts';

function settings(extra: Record<string, unknown> = {}): UpstreamConfig {
  const c = validateConfig({ upstreams: { app: { servers: ['127.0.0.1:1'], ...extra } }, routes: [{ upstream: 'app' }] }, 'test');
  const app = c.upstreams['app'];
  assert.ok(app, 'the upstream validates');
  return app;
}

/** The `i`th endpoint; fails the test when the list is shorter. */
function at(eps: readonly Endpoint[], i: number): Endpoint {
  const ep = eps[i];
  assert.ok(ep, `endpoint ${i} of ${eps.length}`);
  return ep;
}

function endpoints(n: number, cfg = settings(), weights: number[] = []): Endpoint[] {
  return Array.from({ length: n }, (_, i) => new Endpoint('app', `10.0.0.${i + 1}:80`, `10.0.0.${i + 1}`, 80, weights[i] ?? 1, cfg, 0));
}

test('weighted round robin follows the weights, interleaved (smooth)', () => {
  const eps = endpoints(3, settings(), [5, 1, 1]);
  const rr = new RoundRobin();
  const picks = Array.from({ length: 70 }, () => rr.pick(eps, null, null, 1000) as Endpoint);
  const count = (ep: Endpoint) => picks.filter((p) => p === ep).length;
  assert.deepEqual([count(at(eps, 0)), count(at(eps, 1)), count(at(eps, 2))], [50, 10, 10]);
  // Smooth: the heavy endpoint never gets more than 5 in a row.
  let run = 0;
  let maxRun = 0;
  for (const p of picks) maxRun = Math.max(maxRun, (run = p === at(eps, 0) ? run + 1 : 0));
  assert.ok(maxRun <= 5);
});

test('round robin skips ejected endpoints and excluded (already tried) ones', () => {
  const eps = endpoints(3);
  at(eps, 1).ejectedUntil = 10_000;
  const rr = new RoundRobin();
  const picks = new Set(Array.from({ length: 10 }, () => rr.pick(eps, null, null, 1000)));
  assert.deepEqual(picks, new Set([at(eps, 0), at(eps, 2)]));
  assert.equal(rr.pick(eps, [at(eps, 0)], null, 1000), at(eps, 2));
});

test('with every endpoint ejected, the balancer still answers (panic mode) unless all were tried', () => {
  const eps = endpoints(2);
  for (const e of eps) e.ejectedUntil = 10_000;
  const rr = new RoundRobin();
  assert.ok(rr.pick(eps, null, null, 1000) !== null);
  assert.equal(rr.pick(eps, eps, null, 1000), null);
});

test('least connections prefers the least loaded endpoint', () => {
  const eps = endpoints(3);
  at(eps, 0).active = 5;
  at(eps, 1).active = 1;
  at(eps, 2).active = 3;
  assert.equal(new LeastConnections().pick(eps, null, null, 0), at(eps, 1));
});

test('power of two choices never picks the most loaded of two', () => {
  const eps = endpoints(2);
  at(eps, 0).active = 10;
  const p2c = new PowerOfTwo();
  for (let i = 0; i < 50; i++) assert.equal(p2c.pick(eps, null, null, 0), at(eps, 1));
});

test('every balancer answers null, not a TypeError, for an empty endpoint list', () => {
  for (const balancer of [new RoundRobin(), new LeastConnections(), new PowerOfTwo(), new ConsistentHash()]) {
    balancer.rebuild([]);
    assert.equal(balancer.pick([], null, 'key', 0), null, balancer.constructor.name);
    assert.equal(balancer.pick([], [], null, 0), null, balancer.constructor.name);
  }
});

test('consistent hashing: same key, same endpoint; adding a 5th endpoint remaps about 1/5 of keys', () => {
  const cfg = settings({ balance: 'hash', hash: { source: 'header', name: 'x-user' } });
  const four = endpoints(4, cfg);
  const five = [...four, ...endpoints(5, cfg).slice(4)];
  const h4 = new ConsistentHash();
  h4.rebuild(four);
  const h5 = new ConsistentHash();
  h5.rebuild(five);
  const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
  let moved = 0;
  const perEndpoint = new Map<Endpoint, number>();
  for (const k of keys) {
    const a = h4.pick(four, null, k, 0);
    assert.equal(h4.pick(four, null, k, 0), a);
    const b = h5.pick(five, null, k, 0) as Endpoint;
    perEndpoint.set(b, (perEndpoint.get(b) ?? 0) + 1);
    if (a !== b) {
      moved++;
      // Keys only ever move to the new endpoint.
      assert.equal(b, at(five, 4));
    }
  }
  const fraction = moved / keys.length;
  assert.ok(fraction > 0.12 && fraction < 0.3, `remapped ${fraction}`);
  for (const n of perEndpoint.values()) assert.ok(n > 1200 && n < 2800, `unbalanced ring: ${n}`);
});

test('consistent hashing: removing one of 5 endpoints moves only its keys', () => {
  const cfg = settings({ balance: 'hash', hash: { source: 'ip' } });
  const five = endpoints(5, cfg);
  const h = new ConsistentHash();
  h.rebuild(five);
  const before = new Map(Array.from({ length: 5000 }, (_, i) => [`10.1.${i >> 8}.${i & 255}`, h.pick(five, null, `10.1.${i >> 8}.${i & 255}`, 0)]));
  at(five, 2).removed = true;
  const four = five.filter((e) => !e.removed);
  h.rebuild(four);
  for (const [k, was] of before) {
    const now = h.pick(four, null, k, 0);
    if (was !== at(five, 2)) assert.equal(now, was);
  }
});

test('passive health: failures in the window eject with a back-off that doubles, capped', () => {
  const cfg = settings({ passive: { maxFails: 2, failWindow: 1000, ejectBase: 100, ejectMax: 350 } });
  const ep = at(endpoints(1, cfg), 0);
  ep.recordFailure(0);
  assert.equal(ep.state(1), 'healthy');
  ep.recordFailure(10);
  assert.equal(ep.state(11), 'ejected');
  assert.equal(ep.ejectedUntil, 110);
  ep.recordFailure(200);
  ep.recordFailure(201);
  assert.equal(ep.ejectedUntil, 401);
  ep.recordFailure(500);
  ep.recordFailure(501);
  assert.equal(ep.ejectedUntil, 851); // capped at 350
  ep.recordSuccess(900);
  assert.equal(ep.state(900), 'healthy');
});

test('passive health: failures of requests in flight while ejected neither re-eject nor grow the back-off', () => {
  const cfg = settings({ passive: { maxFails: 2, failWindow: 1000, ejectBase: 100, ejectMax: 10_000 } });
  const ep = at(endpoints(1, cfg), 0);
  ep.recordFailure(0);
  ep.recordFailure(1);
  assert.equal(ep.ejectedUntil, 101);
  // A dying process fails every connection that was open on it: many failures inside the ejection.
  for (let t = 2; t < 50; t++) ep.recordFailure(t);
  assert.equal(ep.ejectedUntil, 101, 'the ejection is not extended');
  // After it ends, the next ejection doubles once (200 ms), not once per in-flight failure.
  ep.recordFailure(200);
  ep.recordFailure(201);
  assert.equal(ep.ejectedUntil, 401);
});

test('slow start ramps a re-admitted endpoint from 10% to full weight', () => {
  const cfg = settings({ slowStart: 1000 });
  const ep = at(endpoints(1, cfg), 0);
  ep.admittedAt = 5000;
  assert.equal(ep.effectiveWeight(5000), 0.1);
  assert.equal(ep.effectiveWeight(5500), 0.5);
  assert.equal(ep.effectiveWeight(7000), 1);
});

test('retry budget allows ratio × requests + the per-second floor over the window', () => {
  const b = new RetryBudget(0.1, 0);
  for (let i = 0; i < 100; i++) b.onRequest(1000);
  let granted = 0;
  for (let i = 0; i < 100; i++) if (b.tryRetry(1000)) granted++;
  assert.equal(granted, 10);
  // Eleven seconds later the window has moved on and the old requests no longer count.
  assert.equal(b.tryRetry(12_500), false);
});
