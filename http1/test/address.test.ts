import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressSet, normalizePeer, parseCidr } from '../src/index.ts';

test('parseCidr: an address or ip/prefix within the family, nothing else', () => {
  assert.deepEqual(parseCidr('10.0.0.0/8'), { ip: '10.0.0.0', prefix: 8, family: 4 });
  assert.deepEqual(parseCidr('10.1.2.3'), { ip: '10.1.2.3', prefix: 32, family: 4 });
  assert.deepEqual(parseCidr('fd00::/8'), { ip: 'fd00::', prefix: 8, family: 6 });
  assert.deepEqual(parseCidr('::1'), { ip: '::1', prefix: 128, family: 6 });
  // The proxy config's own parser split on '/' and took '10.0.0.0/8/9' for /8.
  for (const bad of ['10.0.0.0/33', '::/129', '10.0.0/8', 'example.com', '10.0.0.0/', '/8', '10.0.0.0/-1', '10.0.0.0/8/9', '10.0.0.0/0x8', '10.0.0.0/0008', '*', '', 42, null]) {
    assert.equal(parseCidr(bad), null, String(bad));
  }
});

test('normalizePeer: IPv4-mapped IPv6 becomes IPv4; everything else is left as it is', () => {
  assert.equal(normalizePeer('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(normalizePeer('::ffff:7f00:1'), '::ffff:7f00:1');
  assert.equal(normalizePeer('2001:db8::1'), '2001:db8::1');
  assert.equal(normalizePeer('/run/app.sock'), '/run/app.sock');
});

test('AddressSet: per family, mapped peers as IPv4, non-IPs match nothing', () => {
  const set = new AddressSet(['10.0.0.0/8', '192.168.1.7', 'fd00::/8'].map((c) => parseCidr(c)!));
  assert.equal(set.has('10.200.0.1'), true);
  assert.equal(set.has('::ffff:10.200.0.1'), true, 'a dual-stack socket peer');
  assert.equal(set.has('11.0.0.1'), false);
  assert.equal(set.has('192.168.1.7'), true);
  assert.equal(set.has('192.168.1.8'), false);
  assert.equal(set.has('fd12::1'), true);
  assert.equal(set.has('fe80::1'), false);
  assert.equal(set.has(''), false);
  assert.equal(set.has('/run/app.sock'), false);
  const everyV6 = new AddressSet([parseCidr('::/0')!]);
  assert.equal(everyV6.has('2001:db8::1'), true);
  assert.equal(everyV6.has('1.2.3.4'), false, "node's BlockList alone matches IPv4 against ::/0");
});
