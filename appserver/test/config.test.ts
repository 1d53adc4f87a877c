import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { FIXTURES, runCli, tempDir } from './helpers.js';

const APP = join(FIXTURES, 'pid-app.mjs') + ':app';

test('precedence: defaults < file < env < CLI', async () => {
  const dir = tempDir();
  const file = join(dir, 'tsgi.config.json');
  writeFileSync(file, JSON.stringify({ workers: 3, timeout: 10, 'max-requests': 7, bind: ['127.0.0.1:9000'] }));
  const { config, sources } = await loadConfig(['--config', file, '-w', '5', APP], { TSGI_TIMEOUT: '20' }, dir);
  assert.equal(config.workers, 5);
  assert.equal(sources.workers, '--workers');
  assert.equal(config.timeout, 20);
  assert.equal(sources.timeout, 'TSGI_TIMEOUT');
  assert.equal(config.maxRequests, 7);
  assert.deepEqual(config.bind, ['127.0.0.1:9000']);
  assert.equal(config.gracefulTimeout, 30);
  assert.ok(Object.isFrozen(config));
});

test('a .js config file (default export) is read', async () => {
  const dir = tempDir();
  const file = join(dir, 'tsgi.config.js');
  writeFileSync(file, 'export default { workers: 2, accessLogfile: "-" };');
  const { config } = await loadConfig(['-c', file, APP], {}, dir);
  assert.equal(config.workers, 2);
  assert.equal(config.accessLogfile, '-');
});

test('repeatable --bind and unix binds', async () => {
  const { config } = await loadConfig(['-b', '127.0.0.1:1', '--bind=unix:/tmp/x.sock', APP], {}, '/');
  assert.deepEqual(config.bind, ['127.0.0.1:1', 'unix:/tmp/x.sock']);
});

for (const [argv, env, code, pattern] of [
  [['--workers', 'abc', APP], {}, 'APP_ERR_CONFIG_INVALID', /^config: workers must be a positive integer, got "abc" \(from --workers\)$/],
  [['--bogus', APP], {}, 'APP_ERR_CONFIG_INVALID', /unknown flag --bogus/],
  [[APP], { TSGI_TIMEOUT: '-1' }, 'APP_ERR_CONFIG_INVALID', /timeout must be .* got "-1" \(from TSGI_TIMEOUT\)/],
  [['--bind', 'nope', APP], {}, 'APP_ERR_CONFIG_INVALID', /bind must be host:port/],
  [[], {}, 'APP_ERR_CONFIG_INVALID', /app is required/],
] as const) {
  test(`config error: ${argv.join(' ')} ${JSON.stringify(env)}`, async () => {
    await assert.rejects(loadConfig(argv, env, '/'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, code);
      assert.match(err.message, pattern);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  });
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => !l.startsWith('{'));
  assert.equal(lines.length, 1, `expected one plain line on stderr, got:\n${stderr}`);
  return lines[0]!;
}

test('CLI: bad flag exits 2 with one line', async () => {
  const r = runCli(['--wrokers', '2', APP]);
  const { code } = await r.exited;
  assert.equal(code, 2);
  assert.equal(r.stderr().trim().split('\n').length, 1);
  assert.match(r.stderr(), /unknown flag --wrokers/);
});

test('CLI: bad value exits 2 with one line', async () => {
  const r = runCli(['--max-requests', 'lots', APP]);
  assert.equal((await r.exited).code, 2);
  assert.equal(r.stderr().trim().split('\n').length, 1);
  assert.match(r.stderr(), /max-requests must be an integer >= 0, got "lots" \(from --max-requests\)/);
});

test('CLI: missing module exits 2 with one line, before forking', async () => {
  const r = runCli(['-b', '127.0.0.1:0', '/nonexistent/app.js:app']);
  assert.equal((await r.exited).code, 2);
  assert.equal(r.stderr().trim().split('\n').length, 1);
  assert.match(r.stderr(), /app module not found: \/nonexistent\/app\.js/);
});

test('CLI: module without the export exits 2; the master halts instead of respawning', async () => {
  const r = runCli(['-b', '127.0.0.1:0', '-w', '2', join(FIXTURES, 'pid-app.mjs') + ':nope']);
  assert.equal((await r.exited).code, 2);
  assert.match(oneLine(r.stderr()), /App failed to load: .*pid-app\.mjs has no export "nope" \(exports: VERSION, app\)/);
});

test('CLI: a module that throws on import exits 4 (APP_LOAD_ERROR)', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'bad.mjs'), 'throw new Error("boom at import");\nexport const app = () => [];\n');
  const r = runCli(['-b', '127.0.0.1:0', join(dir, 'bad.mjs') + ':app']);
  assert.equal((await r.exited).code, 4);
  assert.match(oneLine(r.stderr()), /App failed to load: .*boom at import/);
});

test('CLI: --check-config prints the effective config and exits 0; with a bad value exits 2', async () => {
  const ok = runCli(['--check-config', '-w', '3', APP], { env: { TSGI_KEEP_ALIVE: '7' } });
  assert.equal((await ok.exited).code, 0);
  const printed = JSON.parse(ok.stdout());
  assert.equal(printed.settings.workers.value, 3);
  assert.equal(printed.settings.workers.from, '--workers');
  assert.equal(printed.settings.keepAlive.value, 7);
  assert.equal(printed.settings.keepAlive.from, 'TSGI_KEEP_ALIVE');
  const bad = runCli(['--check-config', '--timeout', 'soon', APP]);
  assert.equal((await bad.exited).code, 2);
});

test('CLI: --help lists every flag with its env variable', async () => {
  const r = runCli(['--help']);
  assert.equal((await r.exited).code, 0);
  for (const flag of ['--bind', '--workers', '--timeout', '--graceful-timeout', '--max-requests-jitter', '--metrics-bind', 'TSGI_WORKERS']) {
    assert.ok(r.stdout().includes(flag), flag);
  }
});
