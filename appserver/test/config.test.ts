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

for (const [source, pattern] of [
  // A function was dropped by JSON and the setting silently kept its default.
  ['export default { workers: 2, timeout: () => 5 };', /^config: cannot read .*tsgi\.config\.mjs: TypeError: setting "timeout" is a function, not a plain value \(from --config\)$/],
  ['export default { gracefulTimeout: Infinity };', /^config: graceful-timeout must be a number of seconds from 0 to 2147483, got "Infinity" \(from tsgi\.config\.mjs\)$/],
  ['export default function app() {}', /^config: .*tsgi\.config\.mjs must hold an object of settings \(from --config\)$/],
] as const) {
  test(`a .js config file with values that are not plain settings is one line naming them: ${source}`, async () => {
    const file = join(tempDir(), 'tsgi.config.mjs');
    writeFileSync(file, source);
    await assert.rejects(loadConfig(['-c', file, APP], {}, '/'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, pattern);
      return true;
    });
  });
}

test('--forwarded-allow-ips takes IPv4, IPv6, CIDRs of both and *', async () => {
  const { config } = await loadConfig(['--forwarded-allow-ips', '10.1.2.3, 192.168.0.0/16,::1,fd00::/8', APP], {}, '/');
  assert.deepEqual(config.forwardedAllowIps, ['10.1.2.3', '192.168.0.0/16', '::1', 'fd00::/8']);
  const star = await loadConfig([APP], { TSGI_FORWARDED_ALLOW_IPS: '*' }, '/');
  assert.deepEqual(star.config.forwardedAllowIps, ['*']);
});

test('--body-timeout and --send-timeout default to 60 s (nginx) and are read from flags and env', async () => {
  const d = await loadConfig([APP], {}, '/');
  assert.equal(d.config.bodyTimeout, 60);
  assert.equal(d.config.sendTimeout, 60);
  const { config, sources } = await loadConfig(['--body-timeout', '2.5', APP], { TSGI_SEND_TIMEOUT: '7' }, '/');
  assert.equal(config.bodyTimeout, 2.5);
  assert.equal(sources.bodyTimeout, '--body-timeout');
  assert.equal(config.sendTimeout, 7);
  assert.equal(sources.sendTimeout, 'TSGI_SEND_TIMEOUT');
});

test('repeatable --bind and unix binds', async () => {
  const { config } = await loadConfig(['-b', '127.0.0.1:1', '--bind=unix:/tmp/x.sock', APP], {}, '/');
  assert.deepEqual(config.bind, ['127.0.0.1:1', 'unix:/tmp/x.sock']);
  const picks = await loadConfig(['-b', '127.0.0.1:0', '-b', '127.0.0.1:0', APP], {}, '/');
  assert.deepEqual(picks.config.bind, ['127.0.0.1:0', '127.0.0.1:0'], 'port 0 twice: two picks, not a duplicate');
});

for (const [argv, env, code, pattern] of [
  [['--workers', 'abc', APP], {}, 'APP_ERR_CONFIG_INVALID', /^config: workers must be an integer from 1 to 1024, got "abc" \(from --workers\)$/],
  [['--workers', '99999', APP], {}, 'APP_ERR_CONFIG_INVALID', /^config: workers must be an integer from 1 to 1024, got "99999" \(from --workers\)$/],
  [['--workers', '0', APP], {}, 'APP_ERR_CONFIG_INVALID', /workers must be an integer from 1 to 1024, got "0"/],
  [['--forwarded-allow-ips', 'garbage', APP], {}, 'APP_ERR_CONFIG_INVALID',
    /^config: forwarded-allow-ips must be a comma-separated list of IPv4\/IPv6 addresses, CIDRs or '\*', got "garbage" \(from --forwarded-allow-ips\)$/],
  [[APP], { TSGI_FORWARDED_ALLOW_IPS: '10.0.0.1,10.0.0.0/33' }, 'APP_ERR_CONFIG_INVALID', /forwarded-allow-ips must be .* got "10\.0\.0\.1,10\.0\.0\.0\/33" \(from TSGI_FORWARDED_ALLOW_IPS\)/],
  [['--forwarded-allow-ips', '::1/129', APP], {}, 'APP_ERR_CONFIG_INVALID', /forwarded-allow-ips must be/],
  [['--forwarded-allow-ips', '300.1.1.1', APP], {}, 'APP_ERR_CONFIG_INVALID', /forwarded-allow-ips must be/],
  [['--body-timeout', '0', APP], {}, 'APP_ERR_CONFIG_INVALID', /^config: body-timeout must be a number of seconds > 0, at most 2147483, got "0" \(from --body-timeout\)$/],
  [[APP], { TSGI_SEND_TIMEOUT: 'never' }, 'APP_ERR_CONFIG_INVALID', /^config: send-timeout must be a number of seconds > 0, at most 2147483, got "never" \(from TSGI_SEND_TIMEOUT\)$/],
  // Past setTimeout's 2^31-1 ms Node fires after 1 ms: a huge grace period or keep-alive was no time at all.
  [['--graceful-timeout', '3000000', APP], {}, 'APP_ERR_CONFIG_INVALID', /^config: graceful-timeout must be a number of seconds from 0 to 2147483, got "3000000" \(from --graceful-timeout\)$/],
  [['--timeout', '99999999999999999999', APP], {}, 'APP_ERR_CONFIG_INVALID', /^config: timeout must be a number of seconds from 0 to 2147483, got "99999999999999999999"/],
  [[APP], { TSGI_KEEP_ALIVE: '2147484' }, 'APP_ERR_CONFIG_INVALID', /^config: keep-alive must be a number of seconds > 0, at most 2147483, got "2147484" \(from TSGI_KEEP_ALIVE\)$/],
  [['--header-timeout', '1000000000', APP], {}, 'APP_ERR_CONFIG_INVALID', /header-timeout must be a number of seconds > 0, at most 2147483/],
  // Past 2^53-1 the gateway refused the limit in every worker: a boot loop instead of exit 2.
  [['--limit-request-body', '99999999999999999999', APP], {}, 'APP_ERR_CONFIG_INVALID', /^config: limit-request-body must be an integer from 0 to 2\^53-1, got "99999999999999999999" \(from --limit-request-body\)$/],
  [['--max-requests', '9007199254740993', APP], {}, 'APP_ERR_CONFIG_INVALID', /max-requests must be an integer from 0 to 2\^53-1/],
  // Could never listen: was EADDRINUSE from a booting worker, exit 3 after several log lines.
  [['-b', '127.0.0.1:8123', '-b', '127.0.0.1:8124', '--bind', '127.0.0.1:8123', APP], {}, 'APP_ERR_CONFIG_INVALID', /^config: bind lists http:\/\/127\.0\.0\.1:8123 twice \(from --bind\)$/],
  [[APP], { TSGI_BIND: 'unix:/tmp/a.sock,unix:/tmp/a.sock' }, 'APP_ERR_CONFIG_INVALID', /^config: bind lists unix:\/tmp\/a\.sock twice \(from TSGI_BIND\)$/],
  [['-b', '8123', '-b', ':8123', APP], {}, 'APP_ERR_CONFIG_INVALID', /^config: bind lists http:\/\/0\.0\.0\.0:8123 twice/],
  // unix:/path works for --metrics-bind; the message used to say host:port only.
  [['--metrics-bind', 'unix:', APP], {}, 'APP_ERR_CONFIG_INVALID', /^config: metrics-bind must be host:port, \[v6\]:port, port or unix:\/path, got "unix:" \(from --metrics-bind\)$/],
  [['-b', '127.0.0.1:8123', APP], { TSGI_METRICS_BIND: '127.0.0.1:8123' }, 'APP_ERR_CONFIG_INVALID', /^config: metrics-bind 127\.0\.0\.1:8123 is also an app address in --bind; it must differ \(from TSGI_METRICS_BIND\)$/],
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

/** stderr must hold exactly one non-empty line (no JSON log lines before or after it); returns it. */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `expected exactly one line on stderr, got:\n${stderr}`);
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
  assert.match(r.stderr(), /max-requests must be an integer from 0 to 2\^53-1, got "lots" \(from --max-requests\)/);
});

test('CLI: missing module exits 2 with one line, before forking (also with --check-config)', async () => {
  for (const mode of [[], ['--check-config']]) {
    const r = runCli(['-b', '127.0.0.1:0', ...mode, '/nonexistent/app.js:app']);
    assert.equal((await r.exited).code, 2, mode.join(' '));
    assert.match(oneLine(r.stderr()), /app module not found: \/nonexistent\/app\.js/);
  }
});

for (const mode of [[], ['--preload'], ['--check-config']]) {
  test(`CLI: module without the export exits 2 with exactly one line, before forking (${mode.join(' ') || 'default'})`, async () => {
    const r = runCli(['-b', '127.0.0.1:0', '-w', '2', ...mode, join(FIXTURES, 'pid-app.mjs') + ':nope']);
    assert.equal((await r.exited).code, 2);
    assert.match(oneLine(r.stderr()), /App failed to load: .*pid-app\.mjs has no export "nope" \(exports: VERSION, app\)/);
    assert.doesNotMatch(r.stdout(), /Listening at|Ready:/);
  });
}

test('CLI: an export that is not an app exits 2 with one line', async () => {
  const r = runCli(['-b', '127.0.0.1:0', join(FIXTURES, 'pid-app.mjs') + ':VERSION']);
  assert.equal((await r.exited).code, 2);
  assert.match(oneLine(r.stderr()), /pid-app\.mjs:VERSION is a string, not a TSGI app/);
});

test('CLI: a module that throws on import exits 4 (APP_LOAD_ERROR)', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'bad.mjs'), 'throw new Error("boom at import");\nexport const app = () => [];\n');
  for (const mode of [[], ['--check-config']]) {
    const r = runCli(['-b', '127.0.0.1:0', ...mode, join(dir, 'bad.mjs') + ':app']);
    assert.equal((await r.exited).code, 4, mode.join(' '));
    assert.match(oneLine(r.stderr()), /App failed to load: .*boom at import/);
  }
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
