// --target-rate: capacity advice from a scaling result, checked against a fixed
// synthetic result whose per-core rates are known (proxy 10 000, app 5 000 req/s
// per core), and the CLI path that writes the Kustomize patch without a run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { capacityAdvice, kustomizePatch } from '../src/capacity/advice.ts';
import { PACKAGE_DIR, tsxArgs } from '../src/repo.ts';
import type { ScenarioResult } from '../src/result-types.ts';

const FIXTURE = join(PACKAGE_DIR, 'test/fixtures/capacity-synthetic-result.json');
const synthetic = JSON.parse(await readFile(FIXTURE, 'utf8')) as ScenarioResult;

test('replicas follow the measured per-core capacity: ceil(target / (per-core rate x pod limit x ceiling))', () => {
  const advice = capacityAdvice(synthetic, { targetRate: 30_000, podCpuLimit: 2, utilisationCeiling: 0.7 });
  const [proxy, app] = advice.tiers;
  // proxy: 10 000 x 2 x 0.7 = 14 000 per pod -> 3 pods, each using 30 000 / 3 / 10 000 = 1.0 core.
  assert.deepEqual(proxy, { tier: 'proxy', perCoreRps: 10_000, cells: 3, replicas: 3, workersPerReplica: 2, cpuRequestMillis: 1000, cpuLimit: 2, expectedUtilisation: 0.5 });
  // app: 5 000 x 2 x 0.7 = 7 000 per pod -> 5 pods, each using 30 000 / 5 / 5 000 = 1.2 cores.
  assert.deepEqual(app, { tier: 'app', perCoreRps: 5_000, cells: 3, replicas: 5, workersPerReplica: 2, cpuRequestMillis: 1200, cpuLimit: 2, expectedUtilisation: 0.6 });
  // Twice the rate: 60 000 / 14 000 = 4.3 -> 5 proxy pods, 60 000 / 7 000 = 8.6 -> 9 app pods.
  const doubled = capacityAdvice(synthetic, { targetRate: 60_000, podCpuLimit: 2, utilisationCeiling: 0.7 });
  assert.deepEqual(doubled.tiers.map((t) => t.replicas), [5, 9]);
  // A bigger pod needs fewer of them: 4 cores, 4 workers.
  const big = capacityAdvice(synthetic, { targetRate: 30_000, podCpuLimit: 4, utilisationCeiling: 0.7 });
  assert.deepEqual(big.tiers.map((t) => [t.replicas, t.workersPerReplica]), [[2, 4], [3, 4]]);
  assert.match(advice.explanation, /70 %/);
});

test('the patch sets each tier\'s HPA bounds, CPU request and limit, and workers per pod', () => {
  const advice = capacityAdvice(synthetic, { targetRate: 30_000, podCpuLimit: 2, utilisationCeiling: 0.7 });
  const docs = parseAllDocuments(kustomizePatch(advice)).map((d) => d.toJSON() as { kind: string; metadata: { name: string }; spec: Record<string, unknown> });
  const hpa = (name: string): Record<string, unknown> | undefined => docs.find((d) => d.kind === 'HorizontalPodAutoscaler' && d.metadata.name === name)?.spec;
  assert.deepEqual(hpa('tsgi-proxy'), { minReplicas: 3, maxReplicas: 6 });
  assert.deepEqual(hpa('tsgi-app'), { minReplicas: 5, maxReplicas: 10 });
  const app = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'tsgi-app');
  assert.deepEqual(JSON.parse(JSON.stringify(app?.spec)), {
    template: { spec: { containers: [{ name: 'app', env: [{ name: 'TSGI_WORKERS', value: '2' }], resources: { requests: { cpu: '1200m' }, limits: { cpu: '2' } } }] } },
  });
});

test('--capacity-from FILE --target-rate R writes the patch without a run; without --target-rate it is one line, exit 2', () => {
  const cli = join(PACKAGE_DIR, 'src/cli.ts');
  return (async () => {
    const out = await mkdtemp(join(tmpdir(), 'tsgi-lt-capacity-'));
    try {
      const r = spawnSync(process.execPath, tsxArgs(cli, ['--capacity-from', FIXTURE, '--target-rate', '30000', '--out', out]), { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^capacity proxy: 3 replica\(s\) x 2 worker\(s\), cpu request 1000m limit 2 /m);
      assert.match(r.stdout, /^capacity app: 5 replica\(s\) x 2 worker\(s\), cpu request 1200m limit 2 /m);
      const patch = await readFile(join(out, 'capacity-patch.yaml'), 'utf8');
      assert.match(patch, /minReplicas: 5/);
      const bad = spawnSync(process.execPath, tsxArgs(cli, ['--capacity-from', FIXTURE]), { encoding: 'utf8', timeout: 60_000 });
      assert.equal(bad.status, 2);
      assert.equal(bad.stderr.trim(), 'config: capacity-from needs --target-rate (from --capacity-from)');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  })();
});
