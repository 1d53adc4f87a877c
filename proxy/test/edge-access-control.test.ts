import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from '@tsgi/http1';
import { AccessList } from '../src/policy/access-control.js';

describe('allow/deny by CIDR (first match wins, as nginx)', () => {
  test('nginx example: deny one host, allow its network and another, deny the rest', () => {
    const acl = new AccessList([{ deny: '192.168.1.1' }, { allow: '192.168.1.0/24' }, { allow: '10.1.1.0/16' }, { allow: '2001:0db8::/32' }, { deny: 'all' }]);
    assert.equal(acl.allows('192.168.1.1'), false);
    assert.equal(acl.allows('192.168.1.2'), true);
    assert.equal(acl.allows('::ffff:192.168.1.2'), true, 'IPv4-mapped peers match IPv4 rules');
    assert.equal(acl.allows('10.1.200.3'), true);
    assert.equal(acl.allows('10.2.0.1'), false);
    assert.equal(acl.allows('2001:db8:ffff::1'), true);
    assert.equal(acl.allows('2001:db9::1'), false);
    assert.equal(acl.allows('127.0.0.1'), false);
  });

  test('no rule matching allows; an empty list allows everyone', () => {
    assert.equal(new AccessList([{ deny: '10.0.0.0/8' }]).allows('11.0.0.1'), true);
    assert.equal(new AccessList([]).allows('1.2.3.4'), true);
    assert.equal(new AccessList([{ deny: '::/0' }]).allows('1.2.3.4'), true, 'an IPv6 rule never matches IPv4');
  });

  test('malformed rules are rejected', () => {
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0/8', 'example.com', '10.0.0.0/', '10.0.0.0/-1']) assert.equal(parseCidr(bad), null, bad);
    assert.throws(() => new AccessList([{ allow: 'nope' }]));
  });
});
