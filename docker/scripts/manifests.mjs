// Copies the root manifest, the lockfile and every workspace's package.json from
// the build context into a folder of their own. The image's `npm ci` layer is
// built from that folder only, so it is cached until a manifest changes, and a
// workspace added to the root package.json needs no Dockerfile edit.
// Usage: node manifests.mjs <context-dir> <out-dir>
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

const [fromArg, toArg] = process.argv.slice(2);
if (!fromArg || !toArg) {
  console.error('manifests: usage: node manifests.mjs <context-dir> <out-dir>');
  process.exit(2);
}
const [from, to] = [fromArg, toArg];

/** @param {string} rel */
function copy(rel) {
  const src = join(from, rel);
  if (!existsSync(src)) return;
  mkdirSync(dirname(join(to, rel)), { recursive: true });
  copyFileSync(src, join(to, rel));
}

// Workspace entries are folder names or "folder/*" globs, as npm allows.
/** @param {string} pattern @returns {string[]} */
function expand(pattern) {
  if (!pattern.endsWith('/*')) return [pattern];
  const parent = pattern.slice(0, -2);
  if (!existsSync(join(from, parent))) return [];
  return readdirSync(join(from, parent))
    .map((name) => `${parent}/${name}`)
    .filter((rel) => statSync(join(from, rel)).isDirectory());
}

const root = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8'));
/** @type {string[]} */
const workspaces = Array.isArray(root.workspaces) ? root.workspaces : (root.workspaces?.packages ?? []);
copy('package.json');
copy('package-lock.json');
copy('.npmrc');
for (const dir of workspaces.flatMap(expand)) copy(`${dir}/package.json`);
