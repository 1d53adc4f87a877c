// tsgi-stack's command line follows the project's rules: --help, and a bad flag or value is one line naming it, exit 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, userApp } from './stack-run.js';

// A user's folder with a proxy config that has a typo in it.
const { dir } = userApp('export const app = () => [];\n');
writeFileSync(
  join(dir, 'bad-proxy.yaml'),
  'upstreams:\n  app:\n    servers: [127.0.0.1:23001]\n    wieght: 2\nroutes:\n  - { host: "*", path: /, upstream: app }\n',
);

function run(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const base = { ...process.env };
  delete base.TSGI_START_APP;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env: { ...base, ...env }, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--help prints every flag with its environment variable and exits 0', () => {
  const r = run(['--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const flag of ['--app', '--workers', '--app-ports', '--metrics-ports', '--proxy-port', '--admin-port', '--proxy-config', '--log-format']) assert.ok(r.stdout.includes(flag), flag);
  for (const env of ['TSGI_START_APP', 'TSGI_START_WORKERS', 'TSGI_START_APP_PORTS', 'TSGI_START_METRICS_PORTS', 'TSGI_START_PROXY_PORT', 'TSGI_START_ADMIN_PORT']) {
    assert.ok(r.stdout.includes(env), env);
  }
});

for (const [what, args, env, named] of [
  ['an unknown flag', ['--app', 'a.js:app', '--wrokers', '2'], {}, /unknown flag --wrokers/],
  ['no app', [], {}, /no app: give --app/],
  ['an app without :export', ['--app', 'a.js'], {}, /--app must be MODULE:EXPORT/],
  ['a bad worker count in the environment', ['--app', 'a.js:app'], { TSGI_START_WORKERS: 'two' }, /TSGI_START_WORKERS must be a positive integer, got "two"/],
  ['a bad port', ['--app', 'a.js:app', '--proxy-port', '70000'], {}, /--proxy-port must be a port number/],
  ['fewer metrics ports than app ports', ['--app', 'a.js:app', '--app-ports', '23001,23002,23003'], {}, /--metrics-ports needs one port per app port \(3\)/],
  ['a port given to two tiers', ['--app', 'a.js:app', '--proxy-port', '8001'], {}, /port 8001 is given to two tiers/],
  ['a proxy config that does not exist', ['--app', 'a.js:app', '--proxy-config', '/nonexistent/proxy.yaml'], {}, /--proxy-config \/nonexistent\/proxy\.yaml: .*(ENOENT|no such file|cannot read)/],
  ['a proxy config the proxy would refuse', ['--app', 'a.js:app', '--proxy-config', 'bad-proxy.yaml'], {}, /--proxy-config .*bad-proxy\.yaml: .*wieght is not a known key/],
  ['a bad log format', ['--app', 'a.js:app', '--log-format', 'xml'], {}, /--log-format must be json or pretty/],
] as const) {
  test(`${what}: one line naming it, exit 2`, () => {
    const r = run([...args], env);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^tsgi-stack: /);
    assert.match(lines[0]!, named);
  });
}
