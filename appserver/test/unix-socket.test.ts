import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT } from '@tsgi/arbiter';
import { Agent, request } from 'undici';
import { FIXTURES, runCli, tempDir, until } from './helpers.js';

const APP = `${join(FIXTURES, 'pid-app.mjs')}:app`;

/** Another real process listening on a unix socket at `path`; resolves once it listens. */
async function socketOwner(path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`socket owner exited ${code}`)));
  });
  return child;
}

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

/** The appserver must refuse `flag` on this path: exit 3 and one `tsgi-appserver:` line naming the address and `why`. */
async function assertRefused(flag: '--bind' | '--metrics-bind', path: string, why: RegExp): Promise<void> {
  const args = flag === '--bind' ? ['-b', `unix:${path}`] : ['-b', '127.0.0.1:0', '--metrics-bind', `unix:${path}`];
  const r = runCli([...args, APP]);
  const timer = setTimeout(() => r.proc.kill('SIGKILL'), 20_000); // a server that started instead of refusing
  const { code } = await r.exited;
  clearTimeout(timer);
  assert.equal(code, EXIT.WORKER_BOOT_ERROR, r.stderr());
  const lines = r.stderr().trim().split('\n');
  assert.equal(lines.length, 1, r.stderr());
  assert.ok(lines[0]!.startsWith(`tsgi-appserver: cannot listen on unix:${path} (${flag}): `), r.stderr());
  assert.match(lines[0]!, why);
}

for (const flag of ['--bind', '--metrics-bind'] as const) {
  test(`a unix socket another live process listens on (${flag}): one line "address already in use" naming it, exit ${EXIT.WORKER_BOOT_ERROR}; the owner keeps its socket`, async (t) => {
    const path = join(tempDir(), 'live.sock');
    const owner = await socketOwner(path);
    t.after(() => killed(owner));
    await assertRefused(flag, path, /address already in use$/);
    assert.ok(lstatSync(path).isSocket(), 'the live socket file is still there');
    assert.equal(owner.exitCode, null, 'the owner still runs');
  });

  test(`a ${flag} unix path that is a regular file is refused (exit ${EXIT.WORKER_BOOT_ERROR}) and the file is not deleted`, async () => {
    const path = join(tempDir(), 'notes.txt');
    writeFileSync(path, 'keep me\n');
    await assertRefused(flag, path, /not a socket/);
    assert.equal(readFileSync(path, 'utf8'), 'keep me\n');
  });
}

test('a stale unix socket left by a SIGKILLed process is removed and bound; requests are served over it; the file goes away on shutdown', async (t) => {
  const path = join(tempDir(), 'stale.sock');
  await killed(await socketOwner(path));
  assert.ok(lstatSync(path).isSocket(), 'the dead process left its socket file');
  const r = runCli(['-b', `unix:${path}`, APP]);
  t.after(() => r.proc.kill('SIGKILL'));
  await until(() => /Ready: /.test(r.stdout()) || r.proc.exitCode !== null, 30_000, 'Ready');
  assert.match(r.stdout(), new RegExp(`Listening at: unix:${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`), r.stderr());
  const agent = new Agent({ connect: { socketPath: path } });
  t.after(() => agent.close());
  const res = await request('http://localhost/', { dispatcher: agent, headersTimeout: 15_000 });
  assert.equal(res.statusCode, 200);
  assert.match(await res.body.text(), /^\d+$/);
  r.proc.kill('SIGTERM');
  assert.equal((await r.exited).code, 0, r.stderr());
  assert.equal(existsSync(path), false, 'the appserver removes its socket file when it stops');
});
