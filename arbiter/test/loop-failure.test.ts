import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXIT } from '@tsgi/arbiter';
import { allGone, killAll, startMaster } from './master-process.js';

// A hook that throws must not kill the master with its workers left running, nor
// end it with Node's generic exit 1: the master logs, stops its workers, exits 5.
for (const where of ['workerSpawned', 'workerReady', 'workerExited'] as const) {
  const path = where === 'workerReady' ? "a worker's IPC event" : "the loop's turn";
  test(`a throwing ${where} hook (${path}): logged, workers stopped, exit MASTER_CRASH`, async (t) => {
    const m = startMaster({ workers: 2, throwIn: where });
    t.after(() => killAll(m));
    if (where === 'workerExited') {
      // Exits happen on TTOU: the reaper calls the hook, which throws.
      await m.waitFor((l) => l.kind === 'started', 'workers ready');
      m.kill('SIGTTOU');
    }
    assert.equal(await m.exit(20_000), EXIT.MASTER_CRASH);
    const failed = await m.waitFor((l) => l.kind === 'log' && /master loop failed/.test(String(l.msg)), 'the failure logged');
    assert.match(String(failed.msg), new RegExp(`hook ${where} failed on purpose`));
    const done = await m.waitFor((l) => l.kind === 'done', 'done');
    assert.equal(done.reason, 'crashed');
    assert.ok(m.workerPids().length > 0);
    assert.ok(await allGone(m.workerPids()), 'no worker outlives the master');
  });
}
