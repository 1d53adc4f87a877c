import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES, get, startAppserver, tempDir, until } from './helpers.js';

const APP = join(FIXTURES, 'pid-app.mjs') + ':app';

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

test('30 HUPs re-read a .js config file without ever importing it into the master', async (t) => {
  const dir = tempDir();
  const marker = join(dir, 'evaluations.log');
  const config = join(dir, 'tsgi.config.mjs');
  // Each evaluation of the config module appends the pid of the process that evaluated it.
  writeFileSync(
    config,
    `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(marker)}, process.pid + '\\n');\nexport default { workers: 1, gracefulTimeout: 2 };\n`,
  );
  const s = await startAppserver(['-c', config, APP]);
  t.after(() => s.stop());
  const rssBefore = rssKiB(s.pid);
  const reloads = (): number => (s.stderr().match(/reloading: new workers first/g) ?? []).length;
  for (let i = 1; i <= 30; i++) {
    process.kill(s.pid, 'SIGHUP');
    await until(() => reloads() >= i, 20_000, `reload ${i}`);
  }
  await until(async () => (await get(s.url)).status === 200, 20_000, 'serving after the reloads');
  const evaluations = readFileSync(marker, 'utf8').trim().split('\n').map(Number);
  t.diagnostic(`master RSS ${rssBefore} KiB before, ${rssKiB(s.pid)} KiB after 30 HUPs; ${evaluations.length} evaluations`);
  assert.ok(evaluations.length >= 31, `the file was read at start and on every HUP (${evaluations.length})`);
  assert.equal(evaluations.filter((pid) => pid === s.pid).length, 0, 'no evaluation ran in the master, so no module stayed in its cache');
});

test('a config module that throws is one line naming the file and its error, exit 2', async () => {
  const dir = tempDir();
  const config = join(dir, 'broken.config.mjs');
  writeFileSync(config, 'throw new TypeError("no settings today");\n');
  const { runCli } = await import('./helpers.js');
  const r = runCli(['-c', config, APP]);
  assert.equal((await r.exited).code, 2);
  const lines = r.stderr().split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, r.stderr());
  assert.match(lines[0]!, /^config: cannot read .*broken\.config\.mjs: TypeError: no settings today \(from --config\)$/);
});

test('a HUP cancelled by a bad config leaves respawns on the old one: kill -9 of the worker afterwards is replaced and serves', async (t) => {
  const dir = tempDir();
  const config = join(dir, 'tsgi.config.json');
  writeFileSync(config, JSON.stringify({ app: APP }));
  const s = await startAppserver(['-c', config]);
  t.after(() => s.stop());
  const before = (await get(s.url)).body;
  // Valid settings, but the app module is gone and the access log cannot be written: both cancel the reload.
  for (const [i, next] of [{ app: join(dir, 'missing.mjs') + ':app' }, { app: APP, accessLogfile: join(config, 'x.log') }].entries()) {
    writeFileSync(config, JSON.stringify(next));
    process.kill(s.pid, 'SIGHUP');
    await until(() => (s.stderr().match(/reload cancelled/g) ?? []).length > i, 10_000, `reload ${i + 1} to be cancelled`);
  }
  process.kill(Number(before), 'SIGKILL');
  await until(async () => {
    const r = await get(s.url).catch(() => undefined);
    return r?.status === 200 && r.body !== before;
  }, 15_000, 'a replacement worker on the old config');
  assert.equal(s.proc.exitCode, null, `the master is still running:\n${s.stderr()}`);
});
