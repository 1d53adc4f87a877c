import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { FIXTURES, startAppserver, until } from './helpers.js';

const APP = join(FIXTURES, 'spin-app.mjs') + ':app';

/** The error log line (JSON) whose msg matches `pattern`. */
function logLine(stderr: string, pattern: RegExp): { msg: string; stack?: string } | undefined {
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg: string; stack?: string };
    if (pattern.test(entry.msg)) return entry;
  }
  return undefined;
}

function spin(url: string): Promise<string> {
  return request(`${url}spin`, { headersTimeout: 30_000 }).then(
    (r) => `status ${r.statusCode}`,
    (err: Error) => `error ${(err as NodeJS.ErrnoException).code ?? err.message}`,
  );
}

test('--timeout: the WORKER TIMEOUT line carries the stuck main thread\'s JS stack (spinForever)', async (t) => {
  const s = await startAppserver(['-w', '1', '--timeout', '1', APP]);
  t.after(() => s.stop());
  const outcome = spin(s.url);
  await until(() => logLine(s.stderr(), /^WORKER TIMEOUT/) !== undefined, 15_000, 'WORKER TIMEOUT line');
  const entry = logLine(s.stderr(), /^WORKER TIMEOUT/)!;
  assert.match(entry.msg, /serving GET \/spin$/);
  assert.match(entry.stack ?? '', /^ {4}at spinForever \(.*spin-app\.mjs:\d+:\d+\)$/m, `stack: ${entry.stack}`);
  assert.match(await outcome, /^error /, 'the worker was killed after the dump');
  await until(() => /exited: timeout/.test(s.stderr()), 10_000, 'worker reaped');
});

test('--graceful-timeout: a drain that runs past it logs the stuck stack before the kill (timeout off)', async (t) => {
  const s = await startAppserver(['-w', '1', '--timeout', '0', '--graceful-timeout', '1', APP]);
  t.after(() => s.stop());
  const outcome = spin(s.url);
  // The request is running (the loop is blocked) once its connection is accepted; give it a moment.
  await new Promise((r) => setTimeout(r, 300));
  s.proc.kill('SIGTERM');
  const exit = await s.exited;
  const entry = logLine(s.stderr(), /did not finish draining in time/);
  assert.ok(entry, `no drain overrun line in:\n${s.stderr()}`);
  assert.match(entry.stack ?? '', /at spinForever \(/);
  assert.equal(exit.code, 0);
  assert.match(await outcome, /^error /);
});
