#!/usr/bin/env node
// Checks every import under proxy/src against the directions written in
// proxy/README.md ("Import directions"): a file in one concern folder imports
// only its own folder, the folders its row names, and the shared files
// directly in src/ (errors, wire mapping, caught errors), which import no
// folder; src/index.ts, the package's API, may import any. Type-only imports
// count: they couple the folders as much as value imports do.
// Usage: node scripts/check-proxy-imports.mjs   (exit 1 and one line per problem)
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importsOf } from './check-dependencies.mjs';

const ROW = /^\|\s*`([a-z][a-z0-9-]*)\/`\s*\|([^|]*)\|/;
const FOLDER = /`([a-z][a-z0-9-]*)\/`/g;

/**
 * The README's table under the "Import directions" heading: folder → the folders it may import.
 * @param {string} readme
 * @returns {Map<string, Set<string>>}
 */
export function allowedDirections(readme) {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => /^#+\s+Import directions\b/.test(l));
  if (start < 0) throw new Error('proxy/README.md has no "Import directions" section');
  /** @type {Map<string, Set<string>>} */
  const allowed = new Map();
  for (const line of lines.slice(start + 1)) {
    if (/^#+\s/.test(line)) break;
    const m = ROW.exec(line);
    if (m === null) continue;
    allowed.set(m[1] ?? '', new Set([...(m[2] ?? '').matchAll(FOLDER)].map((f) => f[1] ?? '')));
  }
  if (allowed.size === 0) throw new Error('proxy/README.md\'s "Import directions" section has no folder rows');
  return allowed;
}

/** @param {string} dir @returns {string[]} */
function sourceFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|mts)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** The concern folder of a path relative to src/ ('' for a file directly in src/). */
/** @param {string} rel */
function folderOf(rel) {
  const i = rel.indexOf(sep);
  return i < 0 ? '' : rel.slice(0, i);
}

/**
 * One line per import against the directions, and per folder the table does not name.
 * @param {string} srcDir
 * @param {Map<string, Set<string>>} allowed
 * @returns {string[]}
 */
export function checkProxyImports(srcDir, allowed) {
  /** @type {string[]} */
  const problems = [];
  /** @type {Set<string>} */
  const unlisted = new Set();
  for (const file of sourceFiles(srcDir)) {
    const rel = relative(srcDir, file);
    const from = folderOf(rel);
    if (from !== '' && !allowed.has(from)) unlisted.add(from);
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = relative(srcDir, resolve(dirname(file), specifier));
      if (target.startsWith('..')) continue;
      const to = folderOf(target);
      if (to === from || to === '' || rel === 'index.ts') continue;
      if (from === '') problems.push(`proxy/src/${rel} imports ${specifier}: files directly in src/ import no concern folder`);
      else if (allowed.get(from)?.has(to) === false) problems.push(`proxy/src/${rel} imports ${specifier}: ${from}/ may not import ${to}/ (proxy/README.md, "Import directions")`);
    }
  }
  for (const folder of unlisted) problems.push(`proxy/src/${folder}/ is not in proxy/README.md's "Import directions" table`);
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const problems = checkProxyImports(join(root, 'proxy', 'src'), allowedDirections(readFileSync(join(root, 'proxy', 'README.md'), 'utf8')));
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.exit(problems.length === 0 ? 0 : 1);
}
