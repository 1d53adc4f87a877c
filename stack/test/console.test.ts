// The console across a restart: in a terminal every tier writes into its own pipe of one console process; a
// restarted tier gets the same pipe, so its new lines keep coming, and INT still stops everything.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runInTerminal, terminalLines } from '@tsgi/test-support';
import { BIN, freePorts, killAll, markedEnv, markedPids, portArgs, userApp, waitUntil, within } from './stack-run.js';

const APP = `const enc = new TextEncoder();
export const app = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [enc.encode('ok')];
};
`;

test('in a terminal, a tier killed with -9 is one line, its restart\'s lines reach the console, and INT stops everything', { timeout: 120_000 }, async (t) => {
  const { dir, spec } = userApp(APP);
  const ports = await freePorts();
  const marker = randomUUID();
  const env = markedEnv(marker, { TERM: 'xterm-256color', FORCE_COLOR: '1' });
  delete env.NO_COLOR;
  const run = runInTerminal(process.execPath, [BIN, ...portArgs(ports), '--app', spec, '--workers', '1'], { cwd: dir, env });
  t.after(() => killAll(marker));
  const lines = (): string[] => terminalLines(run.output());
  const listening = (tier: string): number[] =>
    lines()
      .filter((l) => l.includes(` ${tier} `) && l.includes('Listening at:'))
      .map((l) => Number(/\((\d+)\)/.exec(l)?.[1]));
  await waitUntil('"Ctrl-C stops it"', 60_000, () => lines().some((l) => l.includes('Ctrl-C stops it')));
  const [first] = listening('app-b');
  assert.ok(first, 'app-b announced its master pid');

  process.kill(-first, 'SIGKILL');
  const restarted = await waitUntil('app-b to listen again', 30_000, () => listening('app-b').find((pid) => pid !== first));
  const own = lines().filter((l) => / start {2}/.test(l));
  assert.equal(own.filter((l) => l.includes('app-b exited unexpectedly (killed by SIGKILL)')).length, 1, own.join('\n'));
  const res = await fetch(`http://127.0.0.1:${ports.apps[1]}/`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(await res.text(), 'ok');
  t.diagnostic(`app-b master ${first} → ${restarted}`);

  const runner = markedPids(marker).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(BIN));
  assert.ok(runner, 'the runner is running');
  process.kill(runner, 'SIGINT');
  assert.equal(await within(run.exited, 40_000), 0, 'script(1) passes on the runner\'s exit code');
  await waitUntil('every process of the run to exit', 10_000, () => markedPids(marker).length === 0);
  assert.ok(lines().some((l) => / app-b .*Handling signal: term|app-b .*draining|app-b .*Shutting down/i.test(l)), 'the restarted app-b\'s last lines were printed');
});
