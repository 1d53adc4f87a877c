import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandLineError, parseCommandLine, type CliOption } from '@tsgi/arbiter';

const OPTIONS: readonly CliOption[] = [
  { name: 'workers', short: 'w', type: 'string' },
  { name: 'bind', short: 'b', type: 'string' },
  { name: 'access-logfile', type: 'string' },
  { name: 'timeout', type: 'string' },
  { name: 'preload', type: 'boolean' },
];

test('values in order, repeats kept, = and short forms, --no-<boolean>, positionals and --', () => {
  const parsed = parseCommandLine(
    ['-w', '2', '--bind=a:1', '-b', 'b:2', '--preload', '--no-preload', '--access-logfile', '-', 'app.js:app', '--', '--not-a-flag'],
    OPTIONS,
  );
  assert.deepEqual(
    parsed.values.map((v) => [v.name, v.flag, v.value]),
    [
      ['workers', '-w', '2'],
      ['bind', '--bind', 'a:1'],
      ['bind', '-b', 'b:2'],
      ['preload', '--preload', true],
      ['preload', '--no-preload', false],
      ['access-logfile', '--access-logfile', '-'],
    ],
  );
  assert.deepEqual(parsed.positionals, ['app.js:app', '--not-a-flag']);
});

test('a negative number is a value (the validator refuses it), a flag is not', () => {
  assert.equal(parseCommandLine(['--timeout', '-1'], OPTIONS).values[0]!.value, '-1');
  assert.throws(
    () => parseCommandLine(['--workers', '--preload'], OPTIONS),
    (err: unknown) => err instanceof CommandLineError && err.code === 'ARB_ERR_CLI_MISSING_VALUE' && err.flag === '--workers',
  );
  assert.equal(parseCommandLine(['--workers=-x'], OPTIONS).values[0]!.value, '-x', 'an inline value is taken as given');
});

for (const [argv, code, flag] of [
  [['--wrokers', '2'], 'ARB_ERR_CLI_UNKNOWN_FLAG', '--wrokers'],
  [['-q'], 'ARB_ERR_CLI_UNKNOWN_FLAG', '-q'],
  [['--no-workers'], 'ARB_ERR_CLI_UNKNOWN_FLAG', '--no-workers'],
  [['--workers'], 'ARB_ERR_CLI_MISSING_VALUE', '--workers'],
  [['-w'], 'ARB_ERR_CLI_MISSING_VALUE', '-w'],
  [['--bind='], 'ARB_ERR_CLI_MISSING_VALUE', '--bind'],
] as const) {
  test(`${argv.join(' ')}: ${code} naming ${flag}`, () => {
    assert.throws(
      () => parseCommandLine([...argv], OPTIONS),
      (err: unknown) => err instanceof CommandLineError && err.code === code && err.flag === flag,
    );
  });
}
