import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHttpDate } from '../src/index.ts';

const SECONDS = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000;

test('the three HTTP-date forms of RFC 9110 §5.6.7 parse to the same instant, in GMT whatever the TZ', () => {
  const before = process.env.TZ;
  // asctime carries no zone: Date.parse read it as local time, an hour off here.
  process.env.TZ = 'Europe/Berlin';
  try {
    assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), SECONDS);
    assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), SECONDS);
    assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), SECONDS);
    assert.equal(parseHttpDate('sun, 06 NOV 1994 08:49:37 GMT'), SECONDS);
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
});

test('rfc850 two-digit years: more than 50 years ahead means the past century', () => {
  const now = Date.UTC(2026, 0, 1);
  assert.equal(parseHttpDate('Monday, 01-Jan-24 00:00:00 GMT', now), Date.UTC(2024, 0, 1) / 1000);
  assert.equal(parseHttpDate('Saturday, 01-Jan-80 00:00:00 GMT', now), Date.UTC(1980, 0, 1) / 1000);
});

test('anything else is NaN, so the condition is ignored rather than guessed', () => {
  for (const bad of ['0', '1', '2030', 'garbage 2030', '12/31/2029', 'Jan 2 2024', '2024-01-02T03:04:05Z', '',
    'Tue, 02 Jan 2024 03:04:05', 'Tue, 02 Jan 2024 03:04:05 +0500', 'Tue, 31 Feb 2024 03:04:05 GMT',
    'Tue, 02 Foo 2024 03:04:05 GMT', 'Tue, 02 Jan 2024 24:00:00 GMT', 'Tue, 2 Jan 2024 03:04:05 GMT']) {
    assert.ok(Number.isNaN(parseHttpDate(bad)), bad);
  }
});
