import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { childPids, fdCount, processTree, sampleProcess, workerChildren } from '../src/proc-stats.ts';
import { parsePrometheus, sumMatching } from '../src/metrics-scrape.ts';

test('a process tree is walked through /proc/<pid>/task/*/children, with CPU and RSS per process', async () => {
  // A parent that forks two busy children and reports their pids.
  const parent = spawn(process.execPath, ['-e', `
      const { spawn } = require('node:child_process');
      // Each child burns 200 ms of CPU (measured, not wall time: the machine may be busy), then says so.
      const busy = 'while (process.cpuUsage().user < 200000); process.stdout.write("x"); setInterval(() => {}, 1000)';
      const kids = [0, 1].map(() => spawn(process.execPath, ['-e', busy], { stdio: ['ignore', 'pipe', 'ignore'] }));
      let ready = 0;
      kids.forEach((k) => k.stdout.once('data', () => { if (++ready === 2) process.send(kids.map((c) => c.pid)); }));
      process.on('disconnect', () => { kids.forEach((k) => k.kill('SIGKILL')); process.exit(0); });
    `], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const kids = await new Promise<number[]>((r) => parent.once('message', (m) => r(m as number[])));
    assert.deepEqual(childPids(parent.pid as number).sort(), [...kids].sort());
    assert.deepEqual(workerChildren(parent.pid as number).sort(), [...kids].sort());
    assert.deepEqual(processTree(parent.pid as number).sort(), [parent.pid as number, ...kids].sort());
    for (const pid of kids) {
      const s = sampleProcess(pid);
      assert.ok(s);
      assert.equal(s.ppid, parent.pid);
      assert.ok(s.cpuMs >= 100, `busy child used CPU: ${s.cpuMs} ms`);
      assert.ok(s.rssBytes > 1024 * 1024);
      assert.ok(fdCount(pid) > 0);
    }
  } finally {
    parent.disconnect();
    await new Promise((r) => parent.once('exit', r));
  }
  assert.equal(sampleProcess(parent.pid as number), undefined, 'a gone process reads as undefined');
  assert.equal(fdCount(parent.pid as number), -1);
});

test('Prometheus text is parsed with labels; sums skip _created samples', () => {
  const text = '# HELP x_total help\n# TYPE x_total counter\nx_total{reason="reset",up="a"} 3\nx_total{reason="5xx"} 2\nx_created 1700000000\ny 1\n';
  const samples = parsePrometheus(text);
  assert.equal(samples.length, 4);
  assert.deepEqual(samples[0]!.labels, { reason: 'reset', up: 'a' });
  assert.equal(sumMatching(samples, /^x_/), 5);
});
