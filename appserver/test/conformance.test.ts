import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runConformance } from '@tsgi/gateway/conformance';
import { CLI } from './helpers.js';

test('tsgi-appserver (2 workers) passes the TSGI conformance kit', async (t) => {
  const report = await runConformance({
    command: [process.execPath, '--conditions=@tsgi/source', '--import', 'tsx', CLI, '-b', '127.0.0.1:{port}', '-w', '2', '--log-level', 'warning', '{app}:app'],
    startTimeoutMs: 30_000,
  });
  const failed = report.results.filter((r) => !r.ok);
  t.diagnostic(`conformance: ${report.passed} passed, ${report.failed} failed`);
  assert.equal(report.failed, 0, JSON.stringify(failed.slice(0, 5), null, 1));
  assert.ok(report.passed > 0);
});
