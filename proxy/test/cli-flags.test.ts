import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgv } from '../src/config/config.ts';
import { ConfigError } from '../src/errors.ts';
import { runCli } from './helpers.ts';

test('every flag keeps its spellings: --config/-c, --workers/-w, =value, --check-config, --no-resolve, --help/-h, --version', () => {
  assert.deepEqual(parseArgv(['-c', 'a.yaml', '-w', '3']), { configPath: 'a.yaml', workers: '3', checkOnly: false, resolveNames: true, help: false, version: false });
  assert.deepEqual(parseArgv(['--config=b.yaml', '--workers=2', '--check-config', '--no-resolve']), {
    configPath: 'b.yaml',
    workers: '2',
    checkOnly: true,
    resolveNames: false,
    help: false,
    version: false,
  });
  assert.equal(parseArgv(['-h']).help, true);
  assert.equal(parseArgv(['--version']).version, true);
  assert.deepEqual(parseArgv([], { TSGI_PROXY_CONFIG: 'env.yaml', TSGI_PROXY_WORKERS: '4' }).workers, '4');
});

for (const [argv, message] of [
  [['--bogus'], 'config: unknown option "--bogus" (from argv)'],
  [['-x'], 'config: unknown option "-x" (from argv)'],
  [['stray.yaml'], 'config: unknown option "stray.yaml" (from argv)'],
  [['--config'], 'config: --config needs a value'],
  [['-w', '--check-config'], 'config: -w needs a value'],
  [['--config='], 'config: --config needs a value'],
  [['--check-config=maybe'], 'config: --check-config takes no value (or true/false), got "maybe" (from argv)'],
  [['--help=no'], 'config: --help takes no value (or true/false), got "no" (from argv)'],
] as const) {
  test(`bad command line ${JSON.stringify(argv)}: one line naming the flag`, () => {
    assert.throws(() => parseArgv([...argv]), (err: unknown) => err instanceof ConfigError && err.message === message);
  });
}

test('tsgi-proxy with an unknown flag exits 2 with one line on stderr', async () => {
  const r = await runCli(['--confg', 'proxy.yaml']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'config: unknown option "--confg" (from argv)\n');
});
