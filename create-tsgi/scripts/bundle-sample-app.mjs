// prepack of create-tsgi: the framework template's app is the repository's sample-app
// (one source of truth), so the tarball carries a copy of the files
// templates/framework/sample-app-files.json lists, in sample-app/ (git-ignored).
// Several packs may run at once (the tests pack in parallel), so the copy is never
// deleted while one may be reading it: each file is replaced by a rename, and only
// files the list no longer names are removed. The copy stays between packs.
// Usage: node scripts/bundle-sample-app.mjs
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const from = join(pkg, '..', 'sample-app');
const into = join(pkg, 'sample-app');

/**
 * Every file under `dir`, relative to `base`.
 * @param {string} dir
 * @returns {string[]}
 */
function files(dir, base = dir) {
  if (!existsSync(dir)) return [];
  if (!statSync(dir).isDirectory()) return [relative(base, dir)];
  return readdirSync(dir).flatMap((name) => files(join(dir, name), base));
}

const staging = join(pkg, '.bundle-tmp');
mkdirSync(staging, { recursive: true });
/** @type {string[]} */
const listed = JSON.parse(readFileSync(join(pkg, 'templates/framework/sample-app-files.json'), 'utf8'));
const wanted = new Set(listed.flatMap((entry) => files(join(from, entry), from)));
for (const file of wanted) {
  const target = join(into, file);
  // Written beside, outside what npm packs, then renamed into place.
  const temp = join(staging, `${process.pid}-${file.replaceAll('/', '_')}`);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(from, file), temp);
  renameSync(temp, target);
}
for (const file of files(into)) {
  if (!wanted.has(file)) rmSync(join(into, file));
}
