// prepack/postpack of create-tsgi: the framework template's app is the repository's
// sample-app (one source of truth), so the tarball carries a copy of the files
// templates/framework/sample-app-files.json lists, made at pack time and removed after.
// Usage: node scripts/bundle-sample-app.mjs [--clean]
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const into = `${pkg}/sample-app`;
rmSync(into, { recursive: true, force: true });
if (process.argv[2] !== '--clean') {
  const files = JSON.parse(readFileSync(`${pkg}/templates/framework/sample-app-files.json`, 'utf8'));
  for (const file of files) cpSync(`${pkg}/../sample-app/${file}`, `${into}/${file}`, { recursive: true });
}
