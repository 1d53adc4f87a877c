// The runner end to end: one command starts real servers, loads them on
// loopback, stops everything and writes results/<scenario>.json + .html;
// bad flags are one line and exit 2.
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PACKAGE_DIR, tsxArgs } from '../src/repo.ts';
import { processTree } from '../src/proc-stats.ts';
import type { ScenarioResult } from '../src/result-types.ts';

const CLI = join(PACKAGE_DIR, 'src/cli.ts');

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function runCli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, tsxArgs(CLI, args), { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bad flags and values: one line naming the key and the source, exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--scenario', 'nope'], /^config: scenario must be one of .*got "nope" \(from --scenario\)$/],
    [['--scenario', 'compare-servers', '--duration', 'abc'], /^config: duration .*got "abc" \(from --duration\)$/],
    [['--scenario', 'app-scaling', '--app-workers', '1,x'], /^config: app-workers .*got "1,x" \(from --app-workers\)$/],
    [['--scenario', 'faults', '--bogus'], /^config: .*bogus/],
    [[], /^config: scenario is required/],
  ];
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, re);
  }
});

test('compare-servers with two variants runs, stops by itself and writes JSON + HTML with CPU per process', { timeout: 120_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'tsgi-lt-run-'));
  try {
    const child = spawn(process.execPath, tsxArgs(CLI, ['--scenario', 'compare-servers', '--variants', 'node-http,fastify',
      '--duration', '1', '--warmup', '0.2', '--rounds', '2', '--connections', '8', '--out', out]), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    const seenPids = new Set<number>();
    child.stderr.on('data', (d) => {
      stderr += d;
      // While a stage runs, note every process under the runner: they must all be gone afterwards.
      for (const p of processTree(child.pid ?? -1)) seenPids.add(p);
    });
    child.stdout.on('data', (d) => { stdout += d; });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 0, stderr);
    // A progress line per stage: 2 variants x 2 rounds.
    assert.equal((stderr.match(/^\[round \d\/2\]/gm) ?? []).length, 4, stderr);
    const result = JSON.parse(await readFile(join(out, 'compare-servers.json'), 'utf8')) as ScenarioResult;
    assert.deepEqual(result.variants.map((v) => v.name).sort(), ['fastify', 'node-http']);
    for (const v of result.variants) {
      assert.ok(v.ok > 0 && v.rps > 0, `${v.name} served requests`);
      assert.equal(v.roundRps.length, 2);
      assert.ok(v.latency.p99 >= v.latency.p50 && v.latency.p50 > 0);
      const server = v.cpu.filter((g) => g.group.startsWith('server'));
      assert.ok(server.reduce((a, g) => a + g.cpuMs, 0) > 0, `server CPU accounted for ${v.name}`);
      assert.ok(v.cpu.some((g) => g.group === 'load generator' && g.cpuMs > 0));
    }
    assert.equal(result.ratios.length, 1);
    assert.equal(result.ratios[0]!.baseline, 'fastify');
    assert.ok(result.machine.cores >= 1 && result.machine.cpuModel.length > 0);
    assert.ok(existsSync(join(out, 'compare-servers.html')));
    assert.match(stdout, /ratio node-http \/ fastify: [\d.]+ x throughput/);
    // Killed children can take a moment to be reaped by init after the runner exits.
    const isAlive = (p: number): boolean => p !== child.pid && existsSync(`/proc/${p}`) && !/\) Z /.test(readFileSafe(`/proc/${p}/stat`));
    const deadline = Date.now() + 3000;
    while ([...seenPids].some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([...seenPids].filter(isAlive), [], 'no process of the run outlives it');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
