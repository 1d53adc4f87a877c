import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter, ConcurrencyLimiter } from '../src/policy/rate-limiter.js';
import { parseRate } from '../src/config/config-units.js';
import { resolveClientAddress } from '../src/listener/client-address.js';

// The limiter takes the time as an argument, so these run on an exact request schedule.
describe('limit_req semantics', () => {
  test('100 requests at 100 r/s against 10 r/s burst 5 nodelay: 15 pass, 85 refused (as nginx)', () => {
    const rl = new RateLimiter({ rate: 10, burst: 5, nodelay: true, maxKeys: 1000 });
    let passed = 0;
    let refused = 0;
    const retryAfter: number[] = [];
    for (let i = 0; i < 100; i++) {
      const d = rl.check('1.2.3.4', 1_000_000 + i * 10);
      if (d.action === 'pass') passed++;
      else if (d.action === 'reject') {
        refused++;
        retryAfter.push(d.retryAfterS);
      } else assert.fail('nodelay never delays');
    }
    // 1 (first) + 5 (burst) + one per 100 ms afterwards at t = 100 .. 900 ms.
    assert.equal(passed, 15);
    assert.equal(refused, 85);
    assert.ok(retryAfter.every((s) => s >= 1));
  });

  test('without nodelay the burst is delayed to the rate, never refused within the burst', () => {
    const rl = new RateLimiter({ rate: 10, burst: 5, nodelay: false, maxKeys: 1000 });
    const decisions = Array.from({ length: 7 }, () => rl.check('k', 0));
    assert.deepEqual(decisions[0], { action: 'pass' });
    assert.deepEqual(
      decisions.slice(1, 6).map((d) => (d.action === 'delay' ? d.delayMs : -1)),
      [100, 200, 300, 400, 500],
    );
    assert.equal(decisions[6]?.action, 'reject');
  });

  test('keys are independent, drain over time and are forgotten when idle', () => {
    const rl = new RateLimiter({ rate: 1, burst: 0, nodelay: true, maxKeys: 2 });
    assert.equal(rl.check('a', 0).action, 'pass');
    assert.equal(rl.check('a', 100).action, 'reject');
    assert.equal(rl.check('b', 100).action, 'pass');
    assert.equal(rl.check('a', 1000).action, 'pass');
    rl.sweep(10_000);
    assert.equal(rl.size, 0);
    // maxKeys bounds memory: a third key evicts the least recently seen one still holding excess.
    const busy = new RateLimiter({ rate: 1, burst: 10, nodelay: true, maxKeys: 2 });
    for (const k of ['x', 'x', 'y', 'y', 'z']) busy.check(k, 20_000);
    assert.equal(busy.size, 2);
    assert.equal(busy.check('y', 20_000).action, 'pass');
    // x was forgotten, so it starts over with excess 0 (passes, then builds up again).
    assert.equal(busy.check('x', 20_000).action, 'pass');
  });

  test('rates parse like nginx (r/s, r/m)', () => {
    assert.equal(parseRate('10r/s'), 10);
    assert.equal(parseRate('30r/m'), 0.5);
    assert.equal(parseRate(5), 5);
    assert.equal(parseRate('0r/s'), null);
    assert.equal(parseRate('10/s'), null);
  });
});

describe('limit_conn semantics', () => {
  test('at most max per key; release frees a slot', () => {
    const cl = new ConcurrencyLimiter(2);
    assert.equal(cl.acquire('a'), true);
    assert.equal(cl.acquire('a'), true);
    assert.equal(cl.acquire('a'), false);
    assert.equal(cl.acquire('b'), true);
    cl.release('a');
    assert.equal(cl.acquire('a'), true);
    assert.equal(cl.inUse('a'), 2);
  });
});

describe('client address after trusted proxies', () => {
  const trusted = (ip: string): boolean => ip === '10.0.0.1' || ip === '10.0.0.2';
  test('an untrusted peer cannot choose its key with X-Forwarded-For', () => {
    assert.equal(resolveClientAddress('198.51.100.1', ['1.1.1.1'], trusted), '198.51.100.1');
  });
  test('trusted hops are walked from the right to the first untrusted one', () => {
    assert.equal(resolveClientAddress('10.0.0.1', ['6.6.6.6, 203.0.113.5, 10.0.0.2'], trusted), '203.0.113.5');
    assert.equal(resolveClientAddress('10.0.0.1', ['203.0.113.5:4000'], trusted), '203.0.113.5');
    assert.equal(resolveClientAddress('10.0.0.1', ['[2001:db8::1]:443'], trusted), '2001:db8::1');
    assert.equal(resolveClientAddress('10.0.0.1', [], trusted), '10.0.0.1');
  });
});
