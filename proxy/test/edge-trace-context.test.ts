import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTraceparent, validTracestate, traceFor, traceHeadersOf, traceHeaderLines } from '../src/policy/trace-context.js';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C trace context', () => {
  test('a valid traceparent keeps its trace id and flags and gets a fresh span id', () => {
    const ids = traceFor(VALID, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7', 'req-1');
    assert.equal(ids.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(ids.parentId, '00f067aa0ba902b7');
    assert.notEqual(ids.spanId, '00f067aa0ba902b7');
    assert.match(ids.traceparent, /^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    assert.equal(ids.tracestate, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    assert.equal(ids.requestId, 'req-1');
    assert.equal(parseTraceparent(ids.traceparent)?.parentId, ids.spanId);
  });

  test('invalid traceparents start a new trace and drop tracestate', () => {
    for (const bad of [
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
      'garbage',
    ]) {
      assert.equal(parseTraceparent(bad), null, bad);
      const ids = traceFor(bad, 'a=b', null);
      assert.notEqual(ids.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
      assert.match(ids.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      assert.equal(ids.tracestate, null);
      assert.match(ids.requestId, /^[0-9a-f]{32}$/);
    }
    // A future version may append fields.
    assert.equal(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what')?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  });

  test('fresh ids differ per request', () => {
    const a = traceFor(null, null, null);
    const b = traceFor(null, null, null);
    assert.notEqual(a.traceId, b.traceId);
    assert.notEqual(a.spanId, b.spanId);
    assert.notEqual(a.requestId, b.requestId);
  });

  test('tracestate and X-Request-Id that could break logs or parsers are not passed on', () => {
    assert.equal(validTracestate('UPPER=x'), null);
    assert.equal(validTracestate(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')), null);
    assert.equal(validTracestate('a=b,  c=d'), 'a=b,c=d');
    assert.match(traceFor(VALID, null, 'bad id with spaces').requestId, /^[0-9a-f]{32}$/);
    assert.match(traceFor(VALID, null, 'x'.repeat(500)).requestId, /^[0-9a-f]{32}$/);
  });

  test('header extraction: repeated traceparent is invalid, tracestate fields join', () => {
    assert.deepEqual(traceHeadersOf(['traceparent', 'tracestate', 'tracestate', 'x-request-id'], [VALID, 'a=1', 'b=2', 'r']), { traceparent: VALID, tracestate: 'a=1,b=2', requestId: 'r' });
    assert.equal(traceHeadersOf(['traceparent', 'traceparent'], [VALID, VALID]).traceparent, null);
    const lines = traceHeaderLines(traceFor(VALID, null, 'r'));
    assert.match(lines, /^traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01\r\nx-request-id: r\r\n$/);
  });
});
