import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runConformance, CHECKS } from '@tsgi/gateway/conformance';

const src = (p: string) => fileURLToPath(new URL(`../src/${p}`, import.meta.url));
const dist = (p: string) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));
const TS = [process.execPath, '--conditions=@tsgi/source', '--import', 'tsx'];

function run([command, ...args]: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assert.ok(command, 'a command to run');
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the reference server passes every check (CLI from sources)', async () => {
  const { code, stdout, stderr } = await run([...TS, src('conformance/cli.ts'), '--', ...TS, src('conformance/reference-start.ts'), '{app}', '{port}']);
  const fails = stdout.split('\n').filter((l) => l.startsWith('FAIL'));
  assert.deepEqual(fails, [], stderr);
  assert.match(stdout, new RegExp(`^${CHECKS.length} passed, 0 failed$`, 'm'));
  assert.equal(code, 0);
});

test('a buffering server that never calls close() fails the streaming and close() checks', async () => {
  const lines: string[] = [];
  const report = await runConformance({
    command: [...TS, fileURLToPath(new URL('./apps/buffering-server.ts', import.meta.url)), '{app}', '{port}'],
    only: ['RESP-6', 'APP-3', 'ENV-1'],
    timeoutMs: 3000,
    print: (line) => lines.push(line),
  });
  const failed = report.results.filter((r) => !r.ok).map((r) => r.rule);
  assert.ok(failed.includes('RESP-6'), lines.join('\n'));
  assert.ok(failed.includes('APP-3'), lines.join('\n'));
  assert.ok(report.results.some((r) => r.rule === 'ENV-1' && r.ok), 'the checks that hold still pass');
  assert.equal(lines.at(-1), `${report.passed} passed, ${report.failed} failed`);
});

test('the CLI refuses a missing command with exit code 2 and usage', async () => {
  const { code, stderr } = await run([...TS, src('conformance/cli.ts')]);
  assert.equal(code, 2);
  assert.match(stderr, /no start command after --/);
  assert.match(stderr, /\{port\}/);
});

test('the bin (bin/tsgi-conformance.js over dist/) runs against the built reference server', {
  skip: existsSync(dist('conformance/cli.js')) ? false : 'dist/ not built (run npx tsc -b gateway)',
}, async () => {
  const { code, stdout } = await run([
    fileURLToPath(new URL('../bin/tsgi-conformance.js', import.meta.url)),
    '--only',
    'ENV-3',
    '--',
    `${process.execPath} ${dist('conformance/reference-start.js')} {app} {port}`,
  ]);
  assert.match(stdout, /^\d+ passed, 0 failed$/m);
  assert.equal(code, 0);
});
