import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES, get, runCli, startAppserver, tempDir, until } from './helpers.js';

const APP = join(FIXTURES, 'pid-app.mjs') + ':app';

/** A path no one can create, root included: its parent is a regular file. */
function unwritablePath(name: string): { dir: string; path: string } {
  const dir = tempDir();
  writeFileSync(join(dir, 'plain-file'), '');
  return { dir, path: join(dir, 'plain-file', name) };
}

for (const [flag, envVar] of [
  ['--access-logfile', 'TSGI_ACCESS_LOGFILE'],
  ['--error-logfile', 'TSGI_ERROR_LOGFILE'],
  ['--pid', 'TSGI_PID'],
] as const) {
  const name = flag.slice(2);
  for (const via of ['flag', 'env', 'check-config'] as const) {
    test(`an unwritable ${flag} (${via}) is one line naming it, exit 2, before any socket`, async () => {
      const { path } = unwritablePath('out.log');
      const args = via === 'env' ? [] : [flag, path];
      if (via === 'check-config') args.push('--check-config');
      const r = runCli(['-b', '127.0.0.1:0', ...args, APP], { env: via === 'env' ? { [envVar]: path } : {} });
      assert.equal((await r.exited).code, 2, r.stderr());
      const lines = r.stderr().split('\n').filter((l) => l.trim() !== '');
      assert.equal(lines.length, 1, `exactly one line on stderr:\n${r.stderr()}`);
      const from = via === 'env' ? envVar : flag;
      assert.match(lines[0]!, new RegExp(`^config: ${name} cannot be written: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+ \\(from ${from}\\)$`));
      assert.doesNotMatch(r.stdout(), /Listening at|Ready:/);
    });
  }
}

test('a writable --access-logfile in a directory that does not exist yet is still created (pino mkdir) and written', async (t) => {
  const dir = tempDir();
  const log = join(dir, 'new', 'dir', 'access.log');
  const s = await startAppserver(['--access-logfile', log, '--log-format', 'text', APP]);
  t.after(() => s.stop());
  assert.equal((await get(s.url)).status, 200);
  await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('"GET / HTTP/1.1" 200'), 5000, 'the access line');
});

test('--pid naming the file of a running master: the second one exits 2 with one line, the first keeps its pid file', async (t) => {
  const pidFile = join(tempDir(), 'app.pid');
  writeFileSync(pidFile, '999999999\n'); // stale: no such process, so it is taken over
  const first = await startAppserver(['--pid', pidFile, APP]);
  t.after(() => first.stop());
  assert.equal(readFileSync(pidFile, 'utf8').trim(), String(first.pid));
  const second = runCli(['-b', '127.0.0.1:0', '--pid', pidFile, APP]);
  const outcome = await Promise.race([
    second.exited.then((e) => e.code),
    new Promise<string>((resolve) => setTimeout(resolve, 10_000, 'still running after 10 s')),
  ]);
  second.proc.kill('SIGKILL');
  assert.equal(outcome, 2, second.stderr());
  const lines = second.stderr().split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, second.stderr());
  assert.match(lines[0]!, new RegExp(`^config: pid cannot be written: .*app\\.pid: it holds the pid of running process ${first.pid}; already running\\? \\(from --pid\\)$`));
  assert.equal(readFileSync(pidFile, 'utf8').trim(), String(first.pid), 'the running master still owns its pid file');
  await first.stop();
  assert.ok(!existsSync(pidFile), 'removed on exit by its owner');
});

test('on exit a master leaves a pid file alone once another process wrote its own pid there', async () => {
  const pidFile = join(tempDir(), 'app.pid');
  const s = await startAppserver(['--pid', pidFile, APP]);
  writeFileSync(pidFile, `${process.pid}\n`);
  await s.stop();
  assert.equal(readFileSync(pidFile, 'utf8').trim(), String(process.pid));
});
