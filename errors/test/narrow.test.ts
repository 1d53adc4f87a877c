import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { asError, errorCode, isErrnoException, messageOf } from '@tsgi/errors';

test('a real system error narrows to its code and message', async () => {
  const caught: unknown = await readFile('/nonexistent/tsgi-narrow-test').catch((error: unknown) => error);
  assert.equal(errorCode(caught), 'ENOENT');
  assert.ok(isErrnoException(caught));
  assert.match(messageOf(caught), /ENOENT/);
  assert.equal(asError(caught), caught);
});

test('thrown non-Errors get a message, no code and an Error that keeps them as cause', () => {
  for (const thrown of ['plain string', 42, undefined, null, { code: 7 }]) {
    assert.equal(messageOf(thrown), String(thrown));
    assert.equal(errorCode(thrown), undefined);
    assert.equal(isErrnoException(thrown), false);
    const wrapped = asError(thrown);
    assert.ok(wrapped instanceof Error);
    assert.equal(wrapped.cause, thrown);
  }
  assert.equal(errorCode({ code: 'EPIPE' }), 'EPIPE', 'a code-carrying object that is not an Error still has its code');
  assert.equal(isErrnoException({ code: 'EPIPE' }), false);
});
