import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One `packages` entry of an npm v3 lockfile (the fields this module reads or writes). */
interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

interface Manifest {
  name: string;
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  engines?: Record<string, string>;
}

/** `a/node_modules/b/node_modules/c` → `a/node_modules/b`; a workspace folder → the root. */
function parentOf(location: string): string {
  const at = location.lastIndexOf('node_modules/');
  return at <= 0 ? '' : location.slice(0, at - 1);
}

/**
 * Writes `package-lock.json` for a project outside the repository, made of the
 * repository's own lockfile: every package the project's dependencies reach, at
 * the version and place the repository installs it, with the @tsgi workspaces
 * replaced by the project's `file:` tarballs.
 *
 * Why: npm's cache on a machine that ran `npm ci` holds the tarballs but no
 * registry metadata (packuments), so `npm install --offline` without a lockfile
 * fails with ENOTCACHED for the first third-party package; with this lockfile it
 * installs every tarball from the cache by its integrity, with no network, and
 * the project gets exactly the versions the repository's tests ran against.
 */
export function writeLockfileFromRepo(repoRoot: string, projectDir: string): void {
  const repo = (JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const project = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as Manifest;
  // Workspace folder → where the project installs it (`appserver` → `node_modules/@tsgi/appserver`).
  const workspaceAt = new Map<string, string>();
  for (const [location, entry] of Object.entries(repo)) {
    if (entry.link && typeof entry.resolved === 'string') workspaceAt.set(entry.resolved, location);
  }
  const outLocation = (repoLocation: string): string => {
    const workspace = [...workspaceAt.keys()].find((w) => repoLocation === w || repoLocation.startsWith(`${w}/`));
    return workspace === undefined ? repoLocation : `${workspaceAt.get(workspace)!}${repoLocation.slice(workspace.length)}`;
  };
  // Node's lookup: node_modules/<name> here, then in each folder above.
  const resolveFrom = (from: string, name: string): string | undefined => {
    for (let at = from; ; at = parentOf(at)) {
      const candidate = at === '' ? `node_modules/${name}` : `${at}/node_modules/${name}`;
      const entry = repo[candidate];
      if (entry) return entry.link ? (entry.resolved as string) : candidate;
      if (at === '') return undefined;
    }
  };

  const out: Record<string, LockEntry> = {};
  // Reached from the production dependencies; reached over required (non-optional) edges only.
  const prod = new Set<string>();
  const required = new Set<string>();
  const visit = (from: string, deps: Record<string, string>, kind: { prod: boolean; required: boolean }, optionalNames: Set<string>): void => {
    for (const name of Object.keys(deps)) {
      const found = resolveFrom(from, name);
      if (found === undefined) {
        if (optionalNames.has(name)) continue;
        throw new Error(`offline lockfile: ${name} (needed by ${from || 'the project'}) is not in ${repoRoot}/package-lock.json`);
      }
      const isRequired = kind.required && !optionalNames.has(name);
      const at = outLocation(found);
      const seen = at in out;
      const grows = (kind.prod && !prod.has(at)) || (isRequired && !required.has(at));
      if (kind.prod) prod.add(at);
      if (isRequired) required.add(at);
      if (seen && !grows) continue;
      const entry = repo[found]!;
      if (!seen) {
        const { dev: _dev, optional: _optional, devOptional: _devOptional, peer: _peer, name: _name, ...kept } = entry;
        // Without `resolved` (npm's omit-lockfile-registry-resolved) npm asks the registry for the
        // package's metadata to find the tarball; with it, the tarball comes from the cache.
        const bare = name.slice(name.lastIndexOf('/') + 1);
        out[at] = kept.resolved === undefined && kept.version ? { ...kept, resolved: `https://registry.npmjs.org/${name}/-/${bare}-${kept.version}.tgz` } : kept;
        if (workspaceAt.has(found)) {
          const spec = project.dependencies?.[name] ?? '';
          if (!spec.startsWith('file:')) throw new Error(`offline lockfile: ${name} is a workspace of the repository; the project must depend on its tarball (file:), not ${JSON.stringify(spec)}`);
          const tarball = join(projectDir, spec.slice('file:'.length));
          out[at] = { ...kept, resolved: spec, integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}` };
        }
      }
      const optional = new Set([
        ...Object.keys(entry.optionalDependencies ?? {}),
        ...Object.entries(entry.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional).map(([n]) => n),
      ]);
      visit(found, { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies }, { prod: kind.prod, required: isRequired }, optional);
    }
  };
  visit('', project.dependencies ?? {}, { prod: true, required: true }, new Set());
  visit('', project.devDependencies ?? {}, { prod: false, required: true }, new Set());
  for (const [at, entry] of Object.entries(out)) {
    if (!prod.has(at)) entry.dev = true;
    if (!required.has(at)) entry.optional = true;
  }
  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  const { name, version, dependencies, devDependencies, engines } = project;
  const lock = { name, version, lockfileVersion: 3, requires: true, packages: { '': { name, version, dependencies, devDependencies, engines }, ...sorted } };
  writeFileSync(join(projectDir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
}
