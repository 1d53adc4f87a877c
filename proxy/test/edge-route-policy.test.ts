import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EdgeZones, RoutePolicy, type RequestKeys } from '../src/policy/route-policy.js';

const keys = (client: string, headers: Record<string, string> = {}): RequestKeys => ({ client, route: '*/api', header: (n) => headers[n] ?? null });

describe('route admission (access, limit_conn, limit_req)', () => {
  const zones = new EdgeZones(
    {
      perip: { key: 'ip', rate: 1, burst: 1, nodelay: true, status: 429, maxKeys: 100 },
      pertoken: { key: 'header:x-api-key', rate: 1, burst: 0, nodelay: true, status: 503, maxKeys: 100 },
    },
    { conns: { key: 'ip', max: 1, status: 429 } },
  );

  test('a denied CIDR is refused before any limit is charged', () => {
    const p = new RoutePolicy({ access: [{ deny: '10.0.0.0/8' }], limitReq: ['perip'], limitConn: [] }, zones);
    assert.deepEqual(p.admit(keys('10.9.9.9'), 0), { kind: 'denied' });
    assert.equal(zones.req.get('perip')!.limiter.size, 0);
  });

  test('limit_req refuses with the zone status and Retry-After; a missing header key is not limited', () => {
    const p = new RoutePolicy({ access: [], limitReq: ['pertoken'], limitConn: [] }, zones);
    assert.equal(p.admit(keys('1.1.1.1', { 'x-api-key': 'k' }), 0).kind, 'pass');
    const r = p.admit(keys('1.1.1.2', { 'x-api-key': 'k' }), 10);
    assert.deepEqual(r, { kind: 'limited', status: 503, retryAfterS: 1, zone: 'pertoken', by: 'req' });
    for (let i = 0; i < 5; i++) assert.equal(p.admit(keys('1.1.1.3'), 10).kind, 'pass');
  });

  test('limit_conn holds a slot until release; a refusal later in the chain gives slots back', () => {
    const p = new RoutePolicy({ access: [], limitReq: ['perip'], limitConn: ['conns'] }, zones);
    const first = p.admit(keys('2.2.2.2'), 0);
    assert.equal(first.kind, 'pass');
    assert.equal(p.admit(keys('2.2.2.2'), 0).kind, 'limited');
    if (first.kind === 'pass') first.release?.();
    assert.equal(zones.conn.get('conns')!.limiter.inUse('2.2.2.2'), 0);
    const second = p.admit(keys('2.2.2.2'), 1);
    assert.equal(second.kind, 'pass');
    if (second.kind === 'pass') second.release?.();
    // perip now at its burst: the rate refusal must not leak the connection slot.
    const third = p.admit(keys('2.2.2.2'), 2);
    assert.equal(third.kind, 'limited');
    assert.equal(zones.conn.get('conns')!.limiter.inUse('2.2.2.2'), 0);
  });

  test('a reload with the same zone settings keeps the buckets', () => {
    const next = new EdgeZones({ perip: { key: 'ip', rate: 1, burst: 1, nodelay: true, status: 429, maxKeys: 100 } }, {}, zones);
    assert.equal(next.req.get('perip')!.limiter, zones.req.get('perip')!.limiter);
    const changed = new EdgeZones({ perip: { key: 'ip', rate: 2, burst: 1, nodelay: true, status: 429, maxKeys: 100 } }, {}, zones);
    assert.notEqual(changed.req.get('perip')!.limiter, zones.req.get('perip')!.limiter);
  });
});
