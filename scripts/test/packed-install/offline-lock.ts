// A package-lock.json for a project outside the workspace that installs our
// tarballs, derived from the workspace's own lock, so that `npm install --offline`
// takes exactly the versions `npm ci` put in the npm cache. Without it npm would
// pick the newest version in each range from the cached registry metadata, whose
// tarball the cache need not hold. Entries the workspace lock keeps without a
// "resolved" URL (npm's omit-lockfile-registry-resolved) get the registry's tarball
// URL back, so that npm takes the tarball from the cache without the registry
// metadata (which it caches under another Accept header than it asks for here).

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Partial<Record<string, { optional?: boolean }>>;
  [key: string]: unknown;
}

export interface Lockfile {
  name: string;
  version: string;
  lockfileVersion: number;
  requires: boolean;
  packages: Record<string, LockEntry>;
}

export interface PackedWorkspace {
  /** Folder in the workspace, e.g. "framework". */
  dir: string;
  name: string;
  /** Tarball path as the project's package.json names it, e.g. "file:../packs/tsgi-framework-0.1.0.tgz". */
  spec: string;
}

export interface ProjectManifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** The registry's tarball URL for a lock entry at `key` ("node_modules/@scope/name"). */
function tarballUrl(registry: string, key: string, entry: LockEntry): string {
  const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const base = registry.endsWith('/') ? registry : `${registry}/`;
  return `${base}${name}/-/${name.split('/').pop()}-${entry.version}.tgz`;
}

/** The folder holding the package at `key` (a lock path); '' is the project root. */
function parentOf(key: string): string {
  const at = key.lastIndexOf('/node_modules/');
  return at === -1 ? '' : key.slice(0, at);
}

/** Node's lookup over lock paths: the nearest node_modules/<dep> from `from` up to the root. */
function resolveIn(packages: Record<string, LockEntry>, from: string, dep: string): string | undefined {
  for (let base = from; ; base = parentOf(base)) {
    const key = base === '' ? `node_modules/${dep}` : `${base}/node_modules/${dep}`;
    if (packages[key]) return key;
    if (base === '') return undefined;
  }
}

export function offlineLockfile(workspaceLock: Lockfile, packed: readonly PackedWorkspace[], project: ProjectManifest, registry: string): Lockfile {
  const source = workspaceLock.packages;
  const byDir = new Map(packed.map((p) => [p.dir, p]));
  const all: Record<string, LockEntry> = {};
  for (const [key, entry] of Object.entries(source)) {
    if (key === '' || entry.link) continue;
    if (key.startsWith('node_modules/')) {
      all[key] = entry.resolved || !entry.version ? entry : { ...entry, resolved: tarballUrl(registry, key, entry) };
      continue;
    }
    // A workspace folder ("framework") or a dependency nested under one ("framework/node_modules/x").
    const slash = key.indexOf('/node_modules/');
    const dir = slash === -1 ? key : key.slice(0, slash);
    const ws = byDir.get(dir);
    if (!ws) continue;
    const target = `node_modules/${ws.name}${slash === -1 ? '' : key.slice(slash)}`;
    if (slash === -1) {
      const { devDependencies: _dev, name: _name, ...rest } = entry;
      all[target] = { ...rest, resolved: ws.spec };
    } else all[target] = entry.resolved || !entry.version ? entry : { ...entry, resolved: tarballUrl(registry, key, entry) };
  }
  // Keep what the project reaches; the workspace's own tooling stays out.
  const packages: Record<string, LockEntry> = {
    '': { name: project.name, version: project.version, dependencies: project.dependencies, devDependencies: project.devDependencies },
  };
  const queue: Array<[string, string, boolean]> = [
    ...Object.keys(project.dependencies).map((dep): [string, string, boolean] => ['', dep, false]),
    ...Object.keys(project.devDependencies).map((dep): [string, string, boolean] => ['', dep, false]),
  ];
  while (queue.length > 0) {
    const [from, dep, optional] = queue.shift()!;
    const key = resolveIn(all, from, dep);
    if (!key) {
      if (optional) continue;
      throw new Error(`offline lock: ${dep} (needed by ${from || 'the project'}) is not in the workspace's package-lock.json`);
    }
    if (packages[key]) continue;
    const entry = all[key]!;
    packages[key] = entry;
    for (const d of Object.keys(entry.dependencies ?? {})) queue.push([key, d, false]);
    for (const d of Object.keys(entry.optionalDependencies ?? {})) queue.push([key, d, true]);
    // npm installs a peer unless it is marked optional.
    for (const d of Object.keys(entry.peerDependencies ?? {})) if (entry.peerDependenciesMeta?.[d]?.optional !== true) queue.push([key, d, false]);
  }
  return { name: project.name, version: project.version, lockfileVersion: 3, requires: true, packages };
}
