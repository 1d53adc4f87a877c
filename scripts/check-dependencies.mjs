#!/usr/bin/env node
// Checks every workspace's imports against its package.json: a package
// imported but not declared works only while another workspace happens to
// install it (npm hoists), and a declared one never imported is dead weight.
// Usage: node scripts/check-dependencies.mjs   (exit 1 and one line per problem)
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
// create-tsgi/templates/* are the sources of other packages (the projects it writes, each with its
// own _package.json), create-tsgi/sample-app the packed copy of sample-app/; create-tsgi's tests
// install and run them.
const SKIP_DIRS = new Set(['node_modules', 'dist', 'results', 'coverage', '.tmp', 'templates', 'sample-app']);
// import ... from 'x' · import 'x' · import('x') · require('x') · createRequire(...)('x') · export ... from 'x' (a 'from' inside a word such as '--capacity-from' is not one)
// (not a method of the same name: `args.require('q')`)
const SPECIFIER = /(?:(?<![-.\w$])from\s*|(?<![.\w$])import\s*\(\s*|(?<![.\w$])import\s+|(?<![.\w$])require\s*\(\s*|(?<![.\w$])createRequire\([^)]*\)\s*\(\s*)(['"])([^'"\n]+)\1/g;
/** Declared for a reason other than an import: types, build tools, binaries run by name, a peer another package loads (next loads react-dom). */
const USED_WITHOUT_IMPORT = /^(@types\/|typescript$|tsx$|react-dom$)/;
/** Modules a runtime other than Node provides: k6 scripts import k6's own. */
const NOT_NPM = new Set(['k6']);
/**
 * Where a published package's runtime imports live; everything else (test,
 * bench, scripts) may use devDependencies. Private packages (the test and
 * load harnesses) are never installed by others: for them only "imports are
 * declared" counts, not where, nor declarations made ahead of their use.
 */
const RUNTIME_DIRS = /^(src|bin)\//;

/**
 * The package an import specifier names, or null for relative paths, node builtins and URLs.
 * @param {string} specifier
 * @returns {string | null}
 */
export function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || /^[a-z]+:/.test(specifier)) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
  if (builtinModules.includes(name) || NOT_NPM.has(name)) return null;
  return name;
}

/** @param {string} dir @returns {string[]} */
function sourceFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of readdirSync(dir)) {
    if (SKIP_DIRS.has(entry)) continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (SOURCE.test(entry) && !entry.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/**
 * Problems for one workspace: imports not declared, declarations not imported.
 * @param {string} dir
 * @returns {string[]}
 */
export function checkWorkspace(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const runtime = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]);
  const dev = new Set(Object.keys(pkg.devDependencies ?? {}));
  /** package -> { first file importing it, first runtime (src/, bin/) file importing it } @type {Map<string, { file: string, runtimeFile: string | undefined }>} */
  const used = new Map();
  for (const file of sourceFiles(dir)) {
    const rel = relative(dir, file);
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      const name = packageOf(specifier);
      if (name === null || name === pkg.name) continue;
      const seen = used.get(name) ?? { file: rel, runtimeFile: undefined };
      if (RUNTIME_DIRS.test(rel)) seen.runtimeFile ??= rel;
      used.set(name, seen);
    }
  }
  /** @type {string[]} */
  const problems = [];
  for (const [name, { file, runtimeFile }] of used) {
    if (!runtime.has(name) && !dev.has(name)) problems.push(`${pkg.name}: imports ${name} (${file}) but does not declare it in package.json`);
    else if (!pkg.private && runtimeFile && !runtime.has(name)) problems.push(`${pkg.name}: ${runtimeFile} imports ${name}, a devDependency: make it a dependency`);
  }
  for (const name of [...runtime, ...dev]) {
    if (USED_WITHOUT_IMPORT.test(name)) continue;
    const seen = used.get(name);
    if (!seen) {
      if (!pkg.private) problems.push(`${pkg.name}: declares ${name} but never imports it`);
    }
    else if (!pkg.private && runtime.has(name) && !seen.runtimeFile) problems.push(`${pkg.name}: declares ${name} as a dependency but only ${seen.file} (not src/) imports it: make it a devDependency`);
  }
  return problems;
}

/**
 * The import specifiers of one source file. Skipped: specifiers built at run
 * time (template literals, regular expressions) and code inside a string
 * literal on the same line (a script handed to \`node -e\` in a container).
 * @param {string} text
 * @returns {string[]}
 */
export function importsOf(text) {
  /** @type {string[]} */
  const out = [];
  for (const line of text.split('\n')) {
    for (const m of line.matchAll(SPECIFIER)) {
      const specifier = m[2] ?? '';
      if (specifier.includes('${') || specifier.includes('\\')) continue;
      if (insideString(line.slice(0, m.index), m[1])) continue;
      out.push(specifier);
    }
  }
  return out;
}

/**
 * Whether `before` leaves an open string of a quote other than `own` (the specifier's own quotes).
 * @param {string} before
 * @param {string | undefined} own
 */
function insideString(before, own) {
  for (const q of ['"', "'", '`']) {
    if (q === own) continue;
    const count = before.split(q).length - 1;
    if (count % 2 === 1) return true;
  }
  return false;
}

/**
 * Every workspace of the repository at `root`.
 * @param {string} root
 */
export function checkAll(root) {
  /** @type {{ workspaces: string[] }} */
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return workspaces.filter((w) => existsSync(join(root, w, 'package.json'))).flatMap((w) => checkWorkspace(join(root, w)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problems = checkAll(fileURLToPath(new URL('..', import.meta.url)));
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.exit(problems.length === 0 ? 0 : 1);
}
