// --cpu-budget: a process placed in a budget is held to it by the kernel (a real
// cgroup, v2 or v1), and where no cgroup can be written the runner says why.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { CpuBudgets, detectCgroups } from '../src/cpu-budget/cgroup.ts';
import { sampleProcess } from '../src/proc-stats.ts';
import { PACKAGE_DIR } from '../src/repo.ts';

const support = detectCgroups();
const noCgroups = support.ok ? false : `cgroups not writable here: ${support.reason}`;

test('a busy loop in a 0.25-core budget uses 0.25 core (± 10 %)', { skip: noCgroups }, async () => {
  assert.ok(support.ok);
  const budgets = new CpuBudgets(support);
  // The budgets' parent group has the highest CPU weight, so on a busy machine the loop still gets
  // what its quota allows and no more: what it uses is the budget.
  const busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    const budget = budgets.create('busy-loop', 0.25);
    budget.place(busy.pid as number);
    assert.deepEqual(budget.pids(), [busy.pid]);
    await delay(300);
    const before = sampleProcess(busy.pid as number);
    const t0 = performance.now();
    await delay(3000);
    const after = sampleProcess(busy.pid as number);
    const wallMs = performance.now() - t0;
    assert.ok(before && after);
    const cores = (after.cpuMs - before.cpuMs) / wallMs;
    assert.ok(cores >= 0.225 && cores <= 0.275, `busy loop used ${cores.toFixed(3)} cores in a 0.25-core budget`);
    assert.ok(budget.throttling().throttledPeriods > 0, 'the kernel throttled it');
  } finally {
    busy.kill('SIGKILL');
    await once(busy, 'exit');
    budgets.close();
  }
});

test('a child forked after placement inherits the budget (workers respawned by a budgeted master stay inside)', { skip: noCgroups }, async () => {
  assert.ok(support.ok);
  const budgets = new CpuBudgets(support);
  const parent = spawn(process.execPath, ['-e', `
    process.on('message', () => {
      const { spawn } = require('node:child_process');
      const kid = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      process.send(kid.pid);
      process.on('disconnect', () => { kid.kill('SIGKILL'); process.exit(0); });
    });
  `], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const budget = budgets.create('parent', 0.5);
    budget.place(parent.pid as number);
    parent.send('fork');
    const [kid] = (await once(parent, 'message')) as [number];
    assert.deepEqual(budget.pids().sort(), [parent.pid, kid].sort());
  } finally {
    parent.disconnect();
    await once(parent, 'exit');
    await delay(100);
    budgets.close();
  }
});

test('without permission to write a cgroup, detection says which hierarchy was tried and why', { skip: process.getuid?.() === 0 ? false : 'needs root to drop to an unprivileged user' }, () => {
  const probe = `import { detectCgroups } from ${JSON.stringify(join(PACKAGE_DIR, 'src/cpu-budget/cgroup.ts'))}; console.log(JSON.stringify(detectCgroups()));`;
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '--input-type=module', '-e', probe], {
    encoding: 'utf8',
    cwd: PACKAGE_DIR,
    env: { ...process.env, HOME: '/tmp', TSX_TSCONFIG_PATH: undefined },
    timeout: 30_000,
  });
  if (r.error) assert.fail(`setpriv: ${r.error.message}`);
  assert.equal(r.status, 0, r.stderr);
  const seen = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { ok: boolean; reason?: string };
  assert.equal(seen.ok, false);
  assert.match(seen.reason ?? '', /not writable \(EACCES|EPERM|EROFS\)|no cgroup/);
});
