import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_HEAD_LIMITS, WIRE_ERRORS } from '../src/index.ts';
import { bytesOf, loadCases, type Expected } from './case-table.ts';
import { parseConnection } from './parse-connection.ts';

const cases = loadCases();
const REFUSAL_STATUSES = new Set<number>(Object.values(WIRE_ERRORS).map((e) => e.status));

function normal(e: Expected): Expected {
  const out: Expected = {};
  if (e.requests !== undefined && e.requests.length > 0) out.requests = e.requests;
  if (e.status !== undefined) out.status = e.status;
  if (e.incomplete === true) out.incomplete = true;
  return out;
}

describe('the shared case table, against the parser', () => {
  test('the table holds the peers’ suites and ours', () => {
    const by = (prefix: string) => cases.filter((c) => c.id.startsWith(prefix)).length;
    assert.ok(by('gunicorn-valid-') >= 50 && by('gunicorn-invalid-') >= 60, 'gunicorn tests/requests valid and invalid');
    assert.ok(by('llhttp-') >= 100, 'llhttp test/request');
    assert.ok(by('node-smuggling-') >= 5 && by('rfc9112-') >= 10 && by('issue14-') >= 20);
    assert.ok(cases.some((c) => (c.expect.requests?.length ?? 0) >= 3), 'pipelined valid requests');
  });

  for (const c of cases) {
    test(`${c.id} (${c.source})`, () => {
      const bytes = bytesOf(c);
      const limits = { ...DEFAULT_HEAD_LIMITS, ...c.limits };
      const want = normal(c.expect);
      assert.deepEqual(normal(parseConnection(bytes, limits)), want, c.note);
      // The same verdict when the bytes trickle in: the scanner's early refusals agree with the full parse.
      const step = bytes.length > 16_384 ? 997 : 1;
      assert.deepEqual(normal(parseConnection(bytes, limits, step)), want, `fed ${step} byte(s) at a time`);
      if (want.status !== undefined) assert.ok(REFUSAL_STATUSES.has(want.status), `${want.status} is a catalogued status`);
      if (c.early === true) {
        assert.equal(bytes.includes('\r\n\r\n'), false, 'an early case never completes a head');
        assert.notEqual(want.status, undefined, 'an early case is refused');
      }
      if (c.peer !== undefined) assert.ok(c.note, 'a verdict that differs from the peer says why');
    });
  }
});
