import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodingNegotiator, encodingPreferences, forbidsTransform, negotiateEncoding, parseAcceptEncoding, varyCovers, weakenETag } from '../src/index.ts';

const OFFERED = ['br', 'gzip'] as const;

test('negotiation: highest q above 0, ties to the server order, * for the rest, x-gzip is gzip, no header is identity', () => {
  const memo = encodingNegotiator(OFFERED);
  const cases: Array<[string | null, 'br' | 'gzip' | null]> = [
    ['gzip, deflate, br', 'br'],
    ['gzip;q=1.0, br;q=0.5', 'gzip'],
    ['br;q=0.1, gzip;q=0.9', 'gzip'],
    ['br;q=0, *', 'gzip'],
    ['*;q=0', null],
    ['identity', null],
    ['x-gzip', 'gzip'],
    ['GZIP', 'gzip'],
    ['gzip;q=0, br;q=0', null],
    ['gzip;q=0.2, gzip;q=0.9, br;q=0.5', 'gzip'],
    ['', null],
    [null, null],
  ];
  for (const [header, expected] of cases) {
    assert.equal(negotiateEncoding(header, OFFERED), expected, String(header));
    assert.equal(memo(header), expected, `memoised: ${String(header)}`);
    assert.equal(memo(header), expected, `memoised, second call: ${String(header)}`);
  }
});

test('a q that is not an RFC 9110 qvalue makes its coding unacceptable', () => {
  for (const bad of ['1.5', '2', '-1', '0.1234', 'abc', '', '1.01']) assert.equal(parseAcceptEncoding(`gzip;q=${bad}`).get('gzip'), 0, bad);
  for (const [good, q] of [['0', 0], ['0.', 0], ['0.5', 0.5], ['0.125', 0.125], ['1', 1], ['1.000', 1]] as const) {
    assert.equal(parseAcceptEncoding(`gzip; Q = ${good}`).get('gzip'), q, good);
  }
});

test('preferences list every acceptable coding, best first', () => {
  const prefer = encodingPreferences(['br', 'gzip', 'zstd']);
  assert.deepEqual(prefer('gzip;q=0.9, br;q=0.5, zstd'), ['zstd', 'gzip', 'br']);
  assert.deepEqual(prefer('*;q=0.1, br;q=0'), ['gzip', 'zstd']);
  assert.deepEqual(prefer(undefined), []);
});

test('no-transform, weak ETags and Vary', () => {
  assert.equal(forbidsTransform('public, no-transform'), true);
  assert.equal(forbidsTransform('No-Transform'), true);
  assert.equal(forbidsTransform('no-transformation, max-age=5'), false);
  assert.equal(weakenETag('"abc"'), 'W/"abc"');
  assert.equal(weakenETag('W/"abc"'), 'W/"abc"');
  assert.equal(varyCovers('Origin, Accept-Encoding', 'accept-encoding'), true);
  assert.equal(varyCovers('*', 'accept-encoding'), true);
  assert.equal(varyCovers('Accept-Encoding-X, Origin', 'accept-encoding'), false);
  assert.equal(varyCovers('', 'accept-encoding'), false);
});
