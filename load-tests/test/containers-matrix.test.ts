// The scaling matrix in containers (`--containers`): each cell is a Compose
// project of the repository's docker-compose.yml with `--scale app=A --scale
// proxy=P`, every replica one worker under `cpus: 0.1`, the load spread over
// the proxy replicas' published ports. Checked against a real Docker engine:
// the replicas really ran (counted with `docker ps` while the run goes), each
// step names its bottleneck, and everything is gone afterwards.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { PACKAGE_DIR, tsxArgs } from '../src/repo.ts';
import type { ScenarioResult } from '../src/result-types.ts';

const CLI = join(PACKAGE_DIR, 'src/cli.ts');
const run = promisify(execFile);

function skipReason(): string | false {
  if (process.env.TSGI_SKIP_CONTAINERS) return 'TSGI_SKIP_CONTAINERS is set';
  if (spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 30_000 }).status !== 0) {
    return 'no Docker engine answers (`docker version`); start one, e.g. bash ../shared/containers/docker-up.sh';
  }
  const compose = [['docker', 'compose', 'version'], ['docker-compose', 'version']].some(([cmd, ...args]) => spawnSync(cmd!, args, { timeout: 30_000 }).status === 0);
  return compose ? false : 'neither `docker compose` nor `docker-compose` is installed';
}

const skip = skipReason();
if (skip) console.log(`# containers matrix skipped: ${skip}`);

/** Replicas per Compose project and service of this run, as `docker ps` sees them. */
async function replicas(prefix: string): Promise<Map<string, number>> {
  const { stdout } = await run('docker', ['ps', '--filter', 'label=com.docker.compose.project', '--format', '{{.Label "com.docker.compose.project"}} {{.Label "com.docker.compose.service"}}'], { timeout: 30_000 });
  const counts = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const [project, service] = line.split(' ');
    if (!project?.startsWith(prefix) || !service) continue;
    const key = `${project.slice(prefix.length)} ${service}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

test('a 2 x 2 scaling matrix in containers: N replicas per tier really run, each step names its bottleneck, nothing is left', { skip, timeout: 900_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'tsgi-lt-containers-'));
  try {
    const child = spawn(process.execPath, tsxArgs(CLI, ['--scenario', 'scaling-matrix', '--containers', '--proxy-workers', '1,2', '--app-workers', '1,2',
      '--cpu-budget', '0.1', '--duration', '2', '--warmup', '0.5', '--rounds', '1', '--no-html', '--out', out]), { stdio: ['ignore', 'pipe', 'pipe'], timeout: 840_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    // The runner names its projects tsgi-containers-<its pid>-<cell>.
    const prefix = `tsgi-containers-${child.pid}-`;
    const most = new Map<string, number>();
    let done = false;
    void exited.then(() => { done = true; });
    while (!done) {
      for (const [key, n] of await replicas(prefix).catch(() => new Map<string, number>())) most.set(key, Math.max(n, most.get(key) ?? 0));
      await Promise.race([exited, new Promise((r) => setTimeout(r, 500))]);
    }
    const code = await exited;

    assert.match(stderr, /^cpu budget: cpus: 0\.1 per replica/m);
    const result = JSON.parse(await readFile(join(out, 'scaling-matrix-containers.json'), 'utf8')) as ScenarioResult;
    const matrix = result.matrix;
    assert.ok(matrix, `the result has its matrix section\n${stderr}`);
    assert.equal(matrix.topology, 'containers');
    assert.equal(matrix.budgetCores, 0.1);
    assert.deepEqual(matrix.cells.map((c) => c.variant).sort(), ['proxy1-app4', 'proxy2-app4', 'proxy4-app1', 'proxy4-app2']);
    for (const c of matrix.cells) {
      // Replicas were really N: the containers docker ps listed while the run went, per cell and tier.
      assert.equal(most.get(`${c.variant} proxy`), c.proxyWorkers, `${c.variant}: proxy containers seen ${JSON.stringify([...most])}`);
      assert.equal(most.get(`${c.variant} app`), c.appWorkers, `${c.variant}: app containers seen ${JSON.stringify([...most])}`);
      assert.ok(c.rps > 0, `${c.variant} served`);
      const v = result.variants.find((x) => x.name === c.variant)!;
      // One budget per container, Docker's quota read back from its cgroup, never exceeded (a little over from sampling edges).
      assert.equal(v.budgets?.filter((b) => b.tier === 'proxy').length, c.proxyWorkers, `${c.variant}: one budget per proxy replica`);
      assert.equal(v.budgets?.filter((b) => b.tier === 'app').length, c.appWorkers, `${c.variant}: one budget per app replica`);
      for (const b of v.budgets ?? []) assert.ok(b.budgetCores === 0.1 && b.usedCores <= 0.12, JSON.stringify(b));
    }
    assert.deepEqual(matrix.cuts.map((c) => [c.tier, c.fixed.tier, c.fixed.workers, c.steps.map((s) => s.workers)]), [
      ['proxy', 'app', 4, [1, 2]],
      ['app', 'proxy', 4, [1, 2]],
    ]);
    for (const cut of matrix.cuts) {
      assert.match(cut.sentence, new RegExp(`^${cut.tier} tier: 1→2 replicas gave [\\d.]+ ×`));
      for (const step of cut.steps) assert.ok(['proxy', 'app', 'machine', 'none'].includes(step.bottleneck), JSON.stringify(step));
      // One replica of 0.1 core against four of the other tier: the swept tier is the limit.
      assert.equal(cut.steps[0]!.bottleneck, cut.tier, `${cut.tier} cut, first step: ${JSON.stringify(matrix.cells)}`);
    }
    assert.match(result.headline?.[0] ?? '', /^(PASS|FAIL): .*\(containers, 0\.1 core per replica\)/);
    const failed = result.verdicts.some((v) => !v.holds);
    assert.equal(code, failed ? 1 : 0, `exit code follows the checks: ${stdout}\n${stderr}`);
    // Every project is down and the replicas' parent cgroup removed.
    assert.deepEqual([...(await replicas(prefix))], []);
    assert.equal(existsSync(`/sys/fs/cgroup/cpu/tsgi-loadtest-${child.pid}`) || existsSync(`/sys/fs/cgroup/tsgi-loadtest-${child.pid}`), false);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
