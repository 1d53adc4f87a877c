#!/usr/bin/env node
// Runs the test files of the given workspaces (default: all), or single test
// files given by path, in one node:test run, so the summary at the end counts
// everything. Tests are TypeScript, run through tsx with our own "@tsgi/source"
// export condition (sources, not dist/).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const all = ['scripts', 'errors', 'http1', 'arbiter', 'gateway', 'test-support', 'appserver', 'middleware', 'framework', 'proxy', 'stack', 'sample-app', 'create-tsgi', 'load-tests', 'deploy-tests'];
const args = process.argv.slice(2);
const picked = args.length ? args : all;

/** @param {string} dir @returns {string[]} */
function collect(dir) {
  if (!existsSync(dir)) return [];
  /** @type {string[]} */
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'fixtures' && name !== 'node_modules') out.push(...collect(full));
    } else if (/\.test\.(ts|mts|js|mjs)$/.test(name)) out.push(full);
  }
  return out;
}

// A package name runs its test/ folder; a path to one test file runs just that file.
const isFile = (/** @type {string} */ arg) => /\.test\.(ts|mts|js|mjs)$/.test(arg);
const files = picked.flatMap((arg) => (isFile(arg) ? [arg] : collect(join(root, arg, 'test')).map((f) => relative(root, f))));
if (files.length === 0) {
  console.error(`test: no test files under ${picked.join(', ')}`);
  process.exit(1);
}
const concurrency = process.env.TSGI_TEST_CONCURRENCY ?? String(Math.max(1, Math.min(2, availableParallelism())));
const result = spawnSync(
  process.execPath,
  [
    '--conditions=@tsgi/source',
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TSGI_REPO_ROOT: root } },
);
process.exit(result.status ?? 1);
