// --reload as a developer uses it: edit a route file and the next answer is the
// new code; a syntax error keeps the old workers serving and is reported once;
// fixing it recovers. Real files, a real master and workers, real fs events.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { getFresh, startAppserver, tempDir, until, writeApp } from './helpers.js';

const APP = `import { answer } from './routes/answer.mjs';
export const app = async (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [new TextEncoder().encode(answer() + ' ' + process.pid)];
};
`;
const route = (text: string): string => `export const answer = () => ${JSON.stringify(text)};\n`;

it('--reload: an edited route is served, a broken one keeps the old workers (error logged once), a fix recovers; the master never halts', { timeout: 120_000 }, async (t) => {
  const dir = tempDir('tsgi-reload-');
  writeApp(dir, 'app.mjs', APP);
  const routeFile = join(dir, 'routes', 'answer.mjs');
  mkdirSync(join(dir, 'routes'));
  writeFileSync(routeFile, route('v1'));
  const server = await startAppserver(['-w', '1', '--reload', `${dir}/app.mjs:app`]);
  const body = async (): Promise<string> => (await getFresh(server.url)).body;
  try {
    assert.match(await body(), /^v1 /);

    const edited = Date.now();
    writeFileSync(routeFile, route('v2'));
    await until(async () => (await body()).startsWith('v2 '), 20_000, 'v2 served');
    t.diagnostic(`edit to new answer: ${Date.now() - edited} ms`);

    writeFileSync(routeFile, 'export const answer = () => ;\n');
    await until(() => /reload failed, keeping the previous workers/.test(server.stderr()), 20_000, `the failed reload\n${server.stderr()}`);
    await until(() => /worker of the rolled-back reload exited|exited: app-load-error/.test(server.stderr()), 20_000, 'the broken worker gone');
    const serving = await body();
    assert.match(serving, /^v2 /, 'the old generation still answers');

    // The serving worker dies while the files are broken: its replacement cannot load them; the master waits.
    process.kill(Number(serving.split(' ')[1]), 'SIGKILL');
    await until(() => /no new workers until the next reload/.test(server.stderr()), 20_000, `waiting\n${server.stderr()}`);
    assert.equal(server.proc.exitCode, null, 'the master is still up');
    assert.equal(server.stderr().match(/SyntaxError/g)?.length, 2, `the error once per failure (the reload, the replacement)\n${server.stderr()}`);

    writeFileSync(routeFile, route('v3'));
    await until(async () => (await body().catch(() => '')).startsWith('v3 '), 20_000, 'v3 served');
    assert.equal(server.proc.exitCode, null);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('--reload-extra-file: a change to a file outside the app folder starts a new generation too', { timeout: 60_000 }, async () => {
  const appDir = tempDir('tsgi-reload-app-');
  const configDir = tempDir('tsgi-reload-extra-');
  writeApp(appDir, 'app.mjs', `import { readFileSync } from 'node:fs';
const text = readFileSync(${JSON.stringify(join(configDir, 'settings.txt'))}, 'utf8').trim();
export const app = async (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [new TextEncoder().encode(text)];
};
`);
  const extra = writeApp(configDir, 'settings.txt', 'first\n');
  const server = await startAppserver(['-w', '1', '--reload', '--reload-extra-file', extra, `${appDir}/app.mjs:app`]);
  try {
    assert.equal((await getFresh(server.url)).body, 'first');
    writeFileSync(extra, 'second\n');
    await until(async () => (await getFresh(server.url)).body === 'second', 20_000, 'the new generation');
    assert.match(server.stderr(), /change detected, reloading/);
  } finally {
    await server.stop();
    rmSync(appDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  }
});
