import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CataloguedError, defineErrors, errorClass, type CodeOf } from '@tsgi/errors';

const SAMPLE = defineErrors({
  XX_ERR_PLAIN: { status: 400, text: 'malformed thing' },
  XX_ERR_TEMPLATE: { status: 413, text: 'body of %d bytes over the limit of %s' },
  XX_ERR_NO_STATUS: { text: '%s' },
});
type SampleCode = CodeOf<typeof SAMPLE>;
class SampleError<Code extends SampleCode = SampleCode> extends errorClass(SAMPLE)<Code> {}
class NoStatusError extends SampleError<'XX_ERR_NO_STATUS'> {
  readonly key: string;
  constructor(key: string, message: string) {
    super('XX_ERR_NO_STATUS', message);
    this.key = key;
  }
}

test('message and status come from the catalogue; a text without placeholders takes an optional detail', () => {
  assert.equal(new SampleError('XX_ERR_PLAIN').message, 'malformed thing');
  assert.equal(new SampleError('XX_ERR_PLAIN', 'no colon').message, 'malformed thing: no colon');
  const templated = new SampleError('XX_ERR_TEMPLATE', 2048, '1 KiB');
  assert.equal(templated.message, 'body of 2048 bytes over the limit of 1 KiB');
  assert.equal(templated.status, 413);
  assert.equal(templated.statusCode, 413);
  assert.equal(templated.code, 'XX_ERR_TEMPLATE');
  assert.equal(String(templated), 'SampleError [XX_ERR_TEMPLATE]: body of 2048 bytes over the limit of 1 KiB');
});

test('cause follows the text arguments; instanceof and name follow the subclass', () => {
  const cause = new Error('root');
  assert.equal(new SampleError('XX_ERR_PLAIN', 'x', { cause }).cause, cause);
  assert.equal(new SampleError('XX_ERR_TEMPLATE', 1, 2, { cause }).cause, cause);
  const err = new NoStatusError('bind', 'bad bind');
  assert.ok(err instanceof NoStatusError && err instanceof SampleError && err instanceof CataloguedError && err instanceof Error);
  assert.equal(err.name, 'NoStatusError');
  assert.equal(err.status, undefined);
  assert.equal(err.key, 'bind');
  assert.ok(!(new SampleError('XX_ERR_PLAIN') instanceof NoStatusError));
});

test('an uncatalogued code or a wrong argument count does not compile, and throws if forced', () => {
  // @ts-expect-error XX_ERR_MISSING is not in the catalogue
  assert.throws(() => new SampleError('XX_ERR_MISSING'), /not in the catalogue/);
  // @ts-expect-error the template has two placeholders
  void (() => new SampleError('XX_ERR_TEMPLATE', 1));
});

test('defineErrors refuses bad codes, empty texts and statuses outside HTTP', () => {
  assert.throws(() => defineErrors({ xx_err_lower: { text: 't' } }), /not <PREFIX>_ERR_<WHAT>/);
  assert.throws(() => defineErrors({ XX_ERR_A: { text: 't', status: 99 } }), /not an HTTP status/);
  assert.throws(() => defineErrors({ XX_ERR_A: { text: 't', status: 600 } }), /not an HTTP status/);
  assert.throws(() => defineErrors({ XX_ERR_A: { text: '' } }), /has no text/);
  assert.ok(Object.isFrozen(SAMPLE) && Object.isFrozen(SAMPLE.XX_ERR_PLAIN));
});
