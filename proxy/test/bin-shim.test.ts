import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

test('the tsgi-proxy bin that npm links runs the built CLI (not "not built" once dist/ exists)', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { bin: Record<string, string> };
  const bin = fileURLToPath(new URL(`../${pkg.bin['tsgi-proxy']}`, import.meta.url));
  const run = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^usage: tsgi-proxy /);
});
