#!/usr/bin/env node
// npm run pack: builds every public workspace (every one not "private": true, found
// from the root package.json, so a new package is picked up without editing this
// file) and writes their tarballs into one folder, for `npm install <folder>/*.tgz`
// in a project of your own until the packages are on the registry.
// Usage: node scripts/pack.mjs [--out DIR] [--json]
//   --out DIR  where the tarballs go (default .tmp/packs); older *.tgz there are removed
//   --json     print [{ name, version, dir, tarball, bins }] instead of one line per tarball
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');

/** @typedef {{ name: string, version: string, private?: boolean, scripts?: Record<string, string>, bin?: string | Record<string, string>, workspaces?: string[] }} PackageJson */
/** @typedef {{ dir: string, pkg: PackageJson }} Workspace */

/** @param {string} message @returns {never} */
function fail(message, code = 1) {
  process.stderr.write(`pack: ${message}\n`);
  process.exit(code);
}

/** @param {string} file @returns {any} JSON of unknown shape; each caller names the shape it reads */
function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The root's workspace folders; an entry ending in /* names every folder under it. */
function workspaceDirs() {
  /** @type {string[]} */
  const dirs = [];
  /** @type {PackageJson} */
  const root = readJson(join(ROOT, 'package.json'));
  for (const entry of root.workspaces ?? []) {
    if (entry.endsWith('/*')) {
      const parent = join(ROOT, entry.slice(0, -2));
      for (const name of readdirSync(parent).sort()) {
        if (existsSync(join(parent, name, 'package.json'))) dirs.push(join(entry.slice(0, -2), name));
      }
    } else if (!entry.includes('*')) dirs.push(entry);
    else fail(`workspace pattern ${entry} is not supported (a folder, or folder/*)`);
  }
  return dirs;
}

/** @returns {Workspace[]} */
function publicWorkspaces() {
  return workspaceDirs()
    .map((dir) => ({ dir, pkg: readJson(join(ROOT, dir, 'package.json')) }))
    .filter(({ pkg }) => pkg.private !== true);
}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnSyncOptionsWithStringEncoding | import('node:child_process').SpawnSyncOptions} [options]
 * @returns {string}
 */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, ...options, encoding: 'utf8' });
  if (result.error) fail(`${command}: ${result.error.message}`);
  if (result.status !== 0) {
    process.stderr.write(result.stdout ?? '');
    process.stderr.write(result.stderr ?? '');
    fail(`${[command, ...args].join(' ')} exited ${result.status}`);
  }
  return result.stdout;
}

/** Workspaces built by plain `tsc -b` go through one tsc run; any other build script runs as written. */
/** @param {Workspace[]} workspaces */
function build(workspaces) {
  const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  const byTsc = workspaces.filter(({ pkg }) => pkg.scripts?.build === 'tsc -b').map(({ dir }) => dir);
  if (byTsc.length > 0) run(process.execPath, [tsc, '-b', ...byTsc], { stdio: ['ignore', 'inherit', 'inherit'] });
  for (const { dir, pkg } of workspaces) {
    if (pkg.scripts?.build && pkg.scripts.build !== 'tsc -b') run(npmCli(), ['run', 'build', '-w', dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
}

/** @type {Array<[string, string[]]>} */
const EMITTED = [
  ['.d.ts.map', ['.ts', '.tsx']],
  ['.d.mts.map', ['.mts']],
  ['.d.ts', ['.ts', '.tsx']],
  ['.d.mts', ['.mts']],
  ['.js.map', ['.ts', '.tsx']],
  ['.mjs.map', ['.mts']],
  ['.js', ['.ts', '.tsx']],
  ['.mjs', ['.mts']],
];

/**
 * tsc -b never deletes the output of a source file that was renamed or removed,
 * and npm pack would ship it: such files (dist/ of a src/ -> dist/ package) go.
 */
/** @param {Workspace} workspace */
function removeOrphans({ dir }) {
  const configFile = join(ROOT, dir, 'tsconfig.json');
  if (!existsSync(configFile)) return;
  /** @type {{ rootDir?: string, outDir?: string }} */
  const { rootDir, outDir } = readJson(configFile).compilerOptions ?? {};
  if (rootDir !== 'src' || outDir !== 'dist') return;
  const walk = (/** @type {string} */ sub) => {
    const out = join(ROOT, dir, 'dist', sub);
    if (!existsSync(out)) return;
    for (const name of readdirSync(out)) {
      const rel = join(sub, name);
      if (statSync(join(out, name)).isDirectory()) {
        walk(rel);
        continue;
      }
      const emitted = EMITTED.find(([ext]) => name.endsWith(ext));
      if (!emitted) continue;
      const stem = join(ROOT, dir, 'src', rel.slice(0, -emitted[0].length));
      if (emitted[1].some((ext) => existsSync(stem + ext))) continue;
      rmSync(join(out, name));
      process.stderr.write(`pack: removed ${join(dir, 'dist', rel)} (its source is gone)\n`);
    }
  };
  walk('');
}

/** The npm that belongs to the running node, so that Node 22 and 24 each use their own. */
function npmCli() {
  const beside = join(dirname(process.execPath), 'npm');
  return existsSync(beside) ? beside : 'npm';
}

/** @type {{ out?: string, json?: boolean }} */
let options = {};
try {
  options = parseArgs({ options: { out: { type: 'string' }, json: { type: 'boolean' } }, strict: true }).values;
} catch (error) {
  fail(error instanceof Error ? error.message : String(error), 2);
}
const outDir = resolve(options.out ?? join(ROOT, '.tmp', 'packs'));
const workspaces = publicWorkspaces();
if (workspaces.length === 0) fail('no public workspace in package.json');

build(workspaces);
workspaces.forEach(removeOrphans);
mkdirSync(outDir, { recursive: true });
for (const name of readdirSync(outDir)) if (name.endsWith('.tgz')) rmSync(join(outDir, name));

/** @type {Array<{ name: string, filename: string, size: number }>} */
const packed = JSON.parse(run(npmCli(), ['pack', '--json', '--pack-destination', outDir, ...workspaces.flatMap(({ dir }) => ['-w', dir])]));
const result = workspaces.map(({ dir, pkg }) => {
  const entry = packed.find((p) => p.name === pkg.name);
  if (!entry) fail(`npm pack wrote no tarball for ${pkg.name}`);
  const bins = typeof pkg.bin === 'string' ? [pkg.name.split('/').pop()] : Object.keys(pkg.bin ?? {});
  return { name: pkg.name, version: pkg.version, dir, tarball: join(outDir, entry.filename), size: entry.size, bins };
});

if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  for (const { tarball, size } of result) process.stdout.write(`${tarball}  ${(size / 1024).toFixed(0)} KiB\n`);
  process.stdout.write(`install into your project: npm install ${outDir}/tsgi-*.tgz (create-tsgi-*.tgz is the scaffolder: npx <it> my-app)\n`);
}
