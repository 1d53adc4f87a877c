// Gates: --slo and --compare turn a run into a pass/fail step (exit 1 with one
// line naming the first failed check), --rate paces the load, and a short
// budgeted scaling matrix records each cell's bottleneck and each cut's ratios.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { detectCgroups } from '../src/cpu-budget/cgroup.ts';
import { compareVerdicts } from '../src/gates/compare.ts';
import { parseSlo, sloVerdicts } from '../src/gates/slo.ts';
import { PACKAGE_DIR, tsxArgs } from '../src/repo.ts';
import type { ScenarioResult, VariantResult } from '../src/result-types.ts';

const CLI = join(PACKAGE_DIR, 'src/cli.ts');

function runCli(args: string[], timeoutMs = 180_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, tsxArgs(CLI, args), { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const quick = (out: string): string[] => ['--scenario', 'compare-servers', '--variants', 'node-http', '--duration', '1', '--warmup', '0.2', '--rounds', '1', '--connections', '4', '--no-html', '--out', out];

function variant(name: string, rps: number, p99: number, errors = 0): VariantResult {
  return {
    name, params: {}, responses: 1000, ok: 1000 - errors, non2xx: errors, errors: 0, statusCounts: {}, durationS: 1, rps, bytes: 0,
    latency: { count: 1000, mean: p99 / 2, p50: p99 / 3, p90: p99 / 2, p99, p999: p99, max: p99 }, latencyCurve: [], roundRps: [rps], cpu: [], machineCores: 1,
  };
}

test('--slo terms: units, percentages and every comparison; a bad term is one line naming it', () => {
  const checks = parseSlo('p99<200ms, p50<=0.1s,errors<0.1%,rps>=500');
  assert.deepEqual(checks.map((c) => [c.metric, c.op, c.bound]), [['p99', '<', 200], ['p50', '<=', 100], ['errors', '<', 0.001], ['rps', '>=', 500]]);
  const verdicts = sloVerdicts(checks, [variant('a', 600, 150), variant('b', 400, 250, 5)]);
  assert.deepEqual(verdicts.map((v) => v.holds), [true, true, true, true, false, true, false, false]);
  assert.match(verdicts[4]!.detail, /250\.00 ms/);
  assert.match(verdicts[6]!.detail, /0\.500 %/);
  assert.throws(() => parseSlo('p99<200'), /slo term "p99<200" needs a unit/);
  assert.throws(() => parseSlo('p42<1ms'), /slo term "p42<1ms" is not/);
});

test('--compare: a variant may not lose more than the tolerance of its req/s or gain it on p99', () => {
  const old = { scenario: 's', startedAt: 't', variants: [variant('a', 1000, 10), variant('b', 1000, 10)] } as unknown as ScenarioResult;
  const v = compareVerdicts(old, [variant('a', 900, 11), variant('b', 800, 13), variant('new', 1, 1)], 0.15);
  assert.deepEqual(v.map((x) => [x.claim.split(':')[0], x.holds]), [['a', true], ['a', true], ['b', false], ['b', false]]);
  const none = compareVerdicts(old, [variant('other', 1, 1)], 0.15);
  assert.equal(none.length, 1);
  assert.equal(none[0]!.holds, false, 'nothing in common is a failed gate, not a silent pass');
});

test('an SLO nobody can meet exits 1 with one FAIL line; a met one exits 0; a regression against --compare exits 1', { timeout: 240_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'tsgi-lt-gates-'));
  try {
    const impossible = await runCli([...quick(out), '--slo', 'p99<0.001ms']);
    assert.equal(impossible.code, 1, impossible.stderr);
    const failLines = impossible.stderr.split('\n').filter((l) => l.startsWith('loadtest: FAIL'));
    assert.equal(failLines.length, 1, impossible.stderr);
    assert.match(failLines[0]!, /SLO p99<0\.001ms for node-http/);
    assert.match(impossible.stdout, /^FAIL SLO p99<0\.001ms for node-http: measured /m);

    const met = await runCli([...quick(out), '--slo', 'errors<50%,p99<60s']);
    assert.equal(met.code, 0, met.stderr);
    assert.match(met.stdout, /^PASS SLO errors<50% for node-http/m);

    const earlier = JSON.parse(await readFile(join(out, 'compare-servers.json'), 'utf8')) as ScenarioResult;
    for (const v of earlier.variants) v.rps *= 100;
    const baseline = join(out, 'faster-earlier-run.json');
    await writeFile(baseline, JSON.stringify(earlier));
    const regressed = await runCli([...quick(out), '--compare', baseline]);
    assert.equal(regressed.code, 1, regressed.stderr);
    assert.match(regressed.stderr, /^loadtest: FAIL: .*node-http: req\/s >= 0\.85 x the earlier run/m);

    const missing = await runCli([...quick(out), '--compare', join(out, 'nope.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr.trim(), /^config: results file .*nope\.json: .*\(from --compare\)$/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('--rate paces an open-model load: throughput follows the rate, not the server', { timeout: 120_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'tsgi-lt-rate-'));
  try {
    const r = await runCli([...quick(out), '--duration', '2', '--rate', '100']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(await readFile(join(out, 'compare-servers.json'), 'utf8')) as ScenarioResult;
    assert.deepEqual(result.settings.rate, { from: 100, to: 100 });
    const v = result.variants[0]!;
    // node:http answers this route thousands of times a second; paced, it gets about 100.
    assert.ok(v.rps > 40 && v.rps <= 130, `paced to 100 req/s, got ${v.rps}`);
    const bad = await runCli([...quick(out), '--rate', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr.trim(), /^config: rate must be requests\/s .*got "0" \(from --rate\)$/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

const cgroups = detectCgroups();

test('a 2 x 2 budgeted scaling matrix: every cell records its budgets and bottleneck, every cut its ratios; the exit code follows the checks', { timeout: 300_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'tsgi-lt-matrix-'));
  try {
    const r = await runCli(['--scenario', 'scaling-matrix', '--proxy-workers', '1,2', '--app-workers', '1,2', '--cpu-budget', '0.1',
      '--duration', '2', '--warmup', '0.5', '--rounds', '1', '--no-html', '--out', out], 280_000);
    if (cgroups.ok) assert.match(r.stderr, /^cpu budget: 0\.1 core per worker \(cgroup v[12], /m);
    else assert.match(r.stderr, /^cpu budget: not applied, running unbudgeted: /m);
    const result = JSON.parse(await readFile(join(out, 'scaling-matrix.json'), 'utf8')) as ScenarioResult;
    const matrix = result.matrix;
    assert.ok(matrix, 'the result has its matrix section');
    assert.deepEqual(matrix.cells.map((c) => c.variant).sort(), ['proxy1-app4', 'proxy2-app4', 'proxy4-app1', 'proxy4-app2']);
    for (const c of matrix.cells) {
      assert.ok(c.rps > 0, `${c.variant} served`);
      assert.ok(['proxy', 'app', 'machine', 'none'].includes(c.bottleneck));
      assert.ok(c.utilisation.proxy > 0 && c.utilisation.app > 0);
      const v = result.variants.find((x) => x.name === c.variant)!;
      if (cgroups.ok) {
        assert.equal(v.budgets?.filter((b) => b.tier === 'proxy').length, c.proxyWorkers, `${c.variant}: one budget per proxy worker`);
        assert.equal(v.budgets?.filter((b) => b.tier === 'app').length, c.appWorkers, `${c.variant}: one budget per app worker`);
        // No process can use more than its quota (a little over from sampling edges).
        for (const b of v.budgets ?? []) assert.ok(b.budgetCores === 0.1 && b.usedCores <= 0.12, JSON.stringify(b));
      }
    }
    assert.deepEqual(matrix.cuts.map((c) => [c.tier, c.fixed.tier, c.fixed.workers, c.steps.map((s) => s.workers)]), [
      ['proxy', 'app', 4, [1, 2]],
      ['app', 'proxy', 4, [1, 2]],
    ]);
    for (const cut of matrix.cuts) {
      assert.equal(cut.steps[0]!.ratio, 1);
      assert.match(cut.sentence, new RegExp(`^${cut.tier} tier: 1→2 workers gave [\\d.]+ ×`));
    }
    assert.match(result.headline?.[0] ?? '', /^(PASS|FAIL): /);
    const failed = result.verdicts.some((v) => !v.holds);
    assert.equal(r.code, failed ? 1 : 0, `exit code follows the checks: ${r.stdout}\n${r.stderr}`);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
