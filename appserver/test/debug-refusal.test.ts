// A production appserver never serves an app in debug mode (its error page
// shows requests and stacks to every client) unless --allow-debug says so.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { runCli, startAppserver, tempDir, writeApp } from './helpers.js';

const dir = tempDir('tsgi-debug-');
after(() => rmSync(dir, { recursive: true, force: true }));
// Shaped as @tsgi/framework's App: a TSGI callable with `config.debug`.
const debugApp = writeApp(
  dir,
  'debug-app.mjs',
  `export const app = Object.assign((environ, startResponse) => { startResponse('200 OK', []); return [new TextEncoder().encode('ok')]; }, { config: { debug: true } });\n`,
);
const plainApp = writeApp(dir, 'plain-app.mjs', `export const app = (environ, startResponse) => { startResponse('200 OK', []); return [new TextEncoder().encode('ok')]; };\n`);

describe('debug apps', () => {
  it('an app with debug: true is refused in one line, exit 2, before anything listens (also by --check-config)', async () => {
    for (const extra of [[], ['--check-config']]) {
      const r = runCli(['-b', '127.0.0.1:0', ...extra, `${debugApp}:app`]);
      assert.equal((await r.exited).code, 2, r.stderr());
      const lines = r.stderr().trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr());
      assert.match(lines[0]!, /debug-app\.mjs:app runs in debug mode \(its config has debug: true\).*--allow-debug/);
      assert.doesNotMatch(r.stdout(), /Listening at|Ready:/);
    }
  });

  it('TSGI_DEBUG=1 is refused the same way, whatever the app', async () => {
    const r = runCli(['-b', '127.0.0.1:0', `${plainApp}:app`], { env: { TSGI_DEBUG: '1' } });
    assert.equal((await r.exited).code, 2, r.stderr());
    assert.match(r.stderr(), /runs in debug mode \(TSGI_DEBUG=1\)/);
  });

  it('--allow-debug serves it', { timeout: 60_000 }, async () => {
    const server = await startAppserver(['--allow-debug', `${debugApp}:app`]);
    try {
      assert.equal(await (await fetch(server.url)).text(), 'ok');
    } finally {
      await server.stop();
    }
  });
});
