import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { allGone, killAll, sleep, startMaster, type MasterProcess } from './master-process.js';

// Every test runs a real master (fixtures/master.ts) with real workers and sends it real signals.

test('TERM during a reload: the reload finishes, no new generation boots, the master stops with 0', async (t) => {
  const m = startMaster({ workers: 2, reloadDelayMs: 800 });
  t.after(() => killAll(m));
  await m.waitFor((l) => l.kind === 'started', 'the first workers ready');
  m.kill('SIGHUP');
  await m.waitFor((l) => l.kind === 'reload', 'the reload hook running');
  m.kill('SIGTERM');
  assert.equal(await m.exit(), 0);
  const done = await m.waitFor((l) => l.kind === 'done', 'done');
  assert.equal(done.reason, 'stopped');
  assert.ok(m.lines.some((l) => l.kind === 'reloaded'), 'the running reload hook was not cut off');
  const spawned = m.lines.filter((l) => l.kind === 'spawned');
  assert.deepEqual(spawned.map((l) => l.generation), [1, 1], 'TERM came first: no generation 2 was booted');
  assert.ok(await allGone(m.workerPids()), 'every worker is gone');
});

test('TERM before ready: booting workers are stopped at once, not at the graceful deadline', async (t) => {
  const m = startMaster({ workers: 2, bootDelayMs: 3000, gracefulTimeoutMs: 30_000 });
  t.after(() => killAll(m));
  await m.waitFor((l) => l.kind === 'spawned', 'a worker forked');
  const sentAt = Date.now();
  m.kill('SIGTERM');
  // Well under the 30 s graceful timeout: a booting worker needs no drain.
  assert.equal(await m.exit(15_000), 0);
  t.diagnostic(`TERM before ready: master exited ${Date.now() - sentAt} ms after the signal`);
  assert.ok(m.lines.some((l) => l.kind === 'start-failed'), 'start() was rejected, not left pending');
  assert.ok(!m.lines.some((l) => l.kind === 'ready'), 'no worker was ever counted ready');
  assert.ok(await allGone(m.workerPids()), 'every worker is gone');
});

test('HUP during boot: the booting generation is replaced, the new one serves, then TERM stops it', async (t) => {
  const m = startMaster({ workers: 2, bootDelayMs: 1000 });
  t.after(() => killAll(m));
  await m.waitFor((l) => l.kind === 'spawned', 'a worker forked');
  m.kill('SIGHUP');
  await m.waitFor((l) => l.kind === 'ready' && l.generation === 2, 'a generation-2 worker ready', 20_000);
  await m.waitFor((l) => m.lines.filter((x) => x.kind === 'ready' && x.generation === 2).length === 2 && l.kind === 'ready', 'both generation-2 workers ready');
  await m.waitFor(
    () => m.lines.filter((l) => l.kind === 'exited' && l.generation === 1 && l.reason === 'reload').length === 2,
    'both generation-1 workers gone with reason reload',
  );
  assert.ok(!m.lines.some((l) => l.kind === 'exited' && l.generation === 2), 'the new generation kept running');
  m.kill('SIGTERM');
  assert.equal(await m.exit(), 0);
  assert.ok(await allGone(m.workerPids()));
});

/** While the reload hook runs (600 ms), sends `burst` spaced so each arrives as its own signal, then TERM; resolves the exit code. */
async function burstDuringSlowReload(t: TestContext, burst: NodeJS.Signals[]): Promise<{ m: MasterProcess; code: number | null }> {
  const m = startMaster({ workers: 1, reloadDelayMs: 600 });
  t.after(() => killAll(m));
  await m.waitFor((l) => l.kind === 'started', 'the first worker ready');
  m.kill('SIGHUP');
  await m.waitFor((l) => l.kind === 'reload', 'the reload hook running');
  for (const sig of burst) {
    m.kill(sig);
    await sleep(30);
  }
  m.kill('SIGTERM');
  return { m, code: await m.exit(20_000) };
}

test('ten HUPs during a slow reload, then TERM: TERM is not dropped, the HUPs collapse', async (t) => {
  const { m, code } = await burstDuringSlowReload(t, Array(10).fill('SIGHUP'));
  assert.equal(code, 0, 'the master stopped');
  const done = await m.waitFor((l) => l.kind === 'done', 'done');
  // The first HUP plus the burst collapsed into one more reload.
  assert.ok((done.reloads as number) <= 2, `reload hook ran ${String(done.reloads)} times`);
  assert.ok(await allGone(m.workerPids()));
});

test('a burst of TTINs and TTOUs before TERM: every one counts and TERM still stops the master', async (t) => {
  const { m, code } = await burstDuringSlowReload(t, ['SIGTTIN', 'SIGTTOU', 'SIGTTIN', 'SIGTTOU', 'SIGTTIN', 'SIGTTOU']);
  assert.equal(code, 0);
  const scaled = m.lines.filter((l) => l.kind === 'log' && /worker target (raised|lowered)/.test(String(l.msg)));
  assert.equal(scaled.length, 6, 'each TTIN/TTOU was handled');
});
