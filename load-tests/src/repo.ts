import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  // Works from src/ (tsx) and from dist/src/ (compiled): walk up to the workspace root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'load-tests')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The repository root (the npm workspace root). */
export const REPO_ROOT = findRoot();

/** The load-tests package directory. */
export const PACKAGE_DIR = join(REPO_ROOT, 'load-tests');

/** Node arguments that run a TypeScript entry of this repo from its sources. */
export function tsxArgs(file: string, args: readonly string[] = []): string[] {
  return ['--conditions=@tsgi/source', '--import', 'tsx', file, ...args];
}

/** Absolute path inside the repository. */
export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}
