import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { messageOf } from '@tsgi/errors';
import { StackError } from './errors.js';

/**
 * The file of `bin` in package `pkg`, found through the package itself (its
 * entry as this process resolves it, then its package.json's `bin` field),
 * never through a path inside a repository: the same lookup works in this
 * workspace and in a user's node_modules. `resolveEntry` is the caller's
 * `import.meta.resolve(pkg)`, written out so the dependency check sees it.
 */
export function packageBin(pkg: string, bin: string, resolveEntry: () => string): string {
  let entry: string;
  try {
    entry = fileURLToPath(resolveEntry());
  } catch (err) {
    throw new StackError('STACK_ERR_TIER_MISSING', `${pkg} is not installed (${messageOf(err)}); npm install ${pkg}`);
  }
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    let manifest: { name?: string; bin?: Record<string, string> | string };
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as typeof manifest;
    } catch {
      continue;
    }
    if (manifest.name !== pkg) continue;
    const file = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[bin];
    if (file === undefined) throw new StackError('STACK_ERR_TIER_MISSING', `${pkg} has no bin named ${bin}`);
    return join(dir, file);
  }
  throw new StackError('STACK_ERR_TIER_MISSING', `no package.json named ${pkg} above ${entry}`);
}
