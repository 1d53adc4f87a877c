import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT } from '@tsgi/arbiter';
import { busyPort } from '@tsgi/test-support';
import { FIXTURES, get, runCli, startAppserver, tempDir, writeApp } from './helpers.js';

const KOA = join(FIXTURES, 'koa-app.mjs');

for (const exportName of ['app', 'callback'] as const) {
  test(`Koa ${exportName === 'app' ? 'instance' : 'app.callback()'} is detected as a Node listener and served under --workers 2`, async (t) => {
    const s = await startAppserver(['-w', '2', `${KOA}:${exportName}`]);
    t.after(() => s.stop());
    const r = await get(`${s.url}hello`);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'koa /hello');
    assert.equal(r.headers['x-framework'], 'koa');
  });
}

test('Koa with --interface tsgi is refused before forking, with a message naming the fix; --check-config agrees', async () => {
  for (const mode of [[], ['--check-config']]) {
    const r = runCli(['-b', '127.0.0.1:0', '--interface', 'tsgi', ...mode, `${KOA}:callback`]);
    const { code } = await r.exited;
    assert.equal(code, EXIT.USAGE, r.stderr());
    assert.match(r.stderr(), /Koa callback\(\).*--interface node/);
    assert.equal(r.stderr().trim().split('\n').length, 1, r.stderr());
  }
});

/** Writes `files` and an entry importing `imported`; the app must fail to load (exit 4) with `file:line: <then>` on stderr. */
async function assertLocatedLoadError(files: Record<string, string>, imported: string, at: string, then: string, modes: string[][] = [[]]): Promise<void> {
  const dir = tempDir();
  for (const [name, source] of Object.entries(files)) writeApp(dir, name, source);
  const entry = writeApp(dir, 'entry.mjs', `import * as lib from './${imported}';\nexport const app = () => lib;\n`);
  const escaped = join(dir, at).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  for (const mode of modes) {
    const r = runCli(['-b', '127.0.0.1:0', ...mode, `${entry}:app`]);
    const { code } = await r.exited;
    assert.equal(code, EXIT.APP_LOAD_ERROR, r.stderr());
    assert.match(r.stderr(), new RegExp(`${escaped}: ${then}`), r.stderr());
  }
}

test('a syntax error in a file the entry imports is reported with that file and line, exit 4 (also by --check-config)', async () => {
  await assertLocatedLoadError({ 'lib.mjs': 'export const x = 1;\nexport const y = ;\n' }, 'lib.mjs', 'lib.mjs:2', 'SyntaxError: Unexpected token', [[], ['--check-config']]);
});

test('a syntax error in a TypeScript file (under tsx) names its file and line', async () => {
  await assertLocatedLoadError({ 'lib.ts': 'export const x: number = 1;\n\nexport const y = ;\n' }, 'lib.ts', 'lib.ts:3', '');
});

test('a SyntaxError thrown while a module runs (JSON.parse at import time) names that module and line', async () => {
  await assertLocatedLoadError({ 'settings.mjs': "export const x = 1;\n\nexport const settings = JSON.parse('{bad');\n" }, 'settings.mjs', 'settings.mjs:3', 'SyntaxError');
});

for (const [flag, extra] of [
  ['--bind', []],
  ['--bind', ['--sticky']],
  ['--metrics-bind', []],
] as const) {
  test(`a busy ${flag} port${extra.length ? ` (${extra.join(' ')})` : ''}: one line naming ${flag} and the address, exit ${EXIT.WORKER_BOOT_ERROR}`, async (t) => {
    const busy = await busyPort();
    t.after(() => busy.server.close());
    const address = `127.0.0.1:${busy.port}`;
    const args = flag === '--bind' ? ['-b', address, '--metrics-bind', '127.0.0.1:0'] : ['-b', '127.0.0.1:0', '--metrics-bind', address];
    const r = runCli([...args, ...extra, join(FIXTURES, 'pid-app.mjs') + ':app']);
    const { code } = await r.exited;
    assert.equal(code, EXIT.WORKER_BOOT_ERROR, r.stderr());
    const line = r.stderr().split('\n').find((l) => l.startsWith('tsgi-appserver:'));
    assert.ok(line, r.stderr());
    assert.match(line, new RegExp(`${address.replace(/\./g, '\\.')}.*\\(${flag}\\).*address already in use|${address.replace(/\./g, '\\.')} \\(${flag}\\)`));
  });
}

test('a two-argument TSGI app that happens to be named handleRequest is not taken for a Koa callback', async (t) => {
  const dir = tempDir();
  const entry = writeApp(
    dir,
    'named.mjs',
    "export const app = function handleRequest(environ, startResponse) {\n  startResponse('200 OK', [['Content-Type', 'text/plain']]);\n  return [new TextEncoder().encode('tsgi')];\n};\n",
  );
  const s = await startAppserver([`${entry}:app`]);
  t.after(() => s.stop());
  assert.equal((await get(s.url)).body, 'tsgi');
});
