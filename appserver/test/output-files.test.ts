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
