// Inside the workspace, packages resolve to their TypeScript sources through our own
// export condition, @tsgi/source. The standard `development` condition must never
// point at src/: Vite and vitest set it, and `node --conditions=development` is
// common, so an installed package would load TypeScript from node_modules. Checked
// over the whole tree, so a package or a spawn added with the old name fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.tmp', 'results', 'coverage']);
const TEXT = /\.(ts|mts|cts|js|mjs|cjs|json|md|ya?ml|sh)$|^Dockerfile/;
/** Files that name the development condition on purpose: the check that installed packages ignore it, and this one. */
const ALLOWED = new Set(['scripts/test/packed-install.test.ts', 'scripts/test/source-condition.test.ts']);
const OLD_FLAG = /--conditions[= ]development\b|'--customConditions', 'development'/;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...files(full));
    else if (TEXT.test(name)) out.push(full);
  }
  return out;
}

/** Paths of the `development` conditions in an exports (or imports) map. */
function developmentConditions(map: unknown, at: string): string[] {
  if (typeof map !== 'object' || map === null) return [];
  return Object.entries(map).flatMap(([key, value]) =>
    key === 'development' ? [`${at}.development`] : developmentConditions(value, `${at}["${key}"]`),
  );
}

const tree = files(ROOT).map((file) => relative(ROOT, file));

test('no package.json exports or imports map answers the development condition', () => {
  const found = tree
    .filter((file) => file === 'package.json' || file.endsWith('/package.json'))
    .flatMap((file) => {
      const pkg = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { exports?: unknown; imports?: unknown };
      return [...developmentConditions(pkg.exports, 'exports'), ...developmentConditions(pkg.imports, 'imports')].map((where) => `${file}: ${where}`);
    });
  assert.deepEqual(found, [], 'use the "@tsgi/source" condition for src/');
});

test('no tsconfig, script, test, bench or document resolves sources through the development condition', () => {
  const found: string[] = [];
  for (const file of tree) {
    if (ALLOWED.has(file)) continue;
    const text = readFileSync(join(ROOT, file), 'utf8');
    if (/(^|\/)tsconfig[^/]*\.json$/.test(file)) {
      const conditions = /"customConditions"\s*:\s*\[([^\]]*)\]/.exec(text)?.[1] ?? '';
      if (/"development"/.test(conditions)) found.push(`${file}: customConditions has "development"`);
    }
    text.split('\n').forEach((line, i) => {
      if (OLD_FLAG.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, [], 'use --conditions=@tsgi/source (and customConditions ["@tsgi/source"])');
});
