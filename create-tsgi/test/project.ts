import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, resolve, sep } from 'node:path';
import { offlineLockfile, type Lockfile } from '../../scripts/test/packed-install/offline-lock.ts';

// What the scaffold tests share: the repository's packages packed once, create-tsgi
// run from its own tarball in a folder outside the repository, and the project
// installed from the tarballs with no network.

export const REPO_ROOT = process.env.TSGI_REPO_ROOT ?? resolve(import.meta.dirname, '..', '..');
// NODE_TEST_CONTEXT would make the project's own `node --test` think it runs inside this one, and skip.
const { NODE_TEST_CONTEXT: _inherited, ...parentEnv } = process.env;
const NPM_ENV: NodeJS.ProcessEnv = { ...parentEnv, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', NO_COLOR: '1' };
const TEMP_PREFIX = join(tmpdir(), 'tsgi-create-');

/** A new folder under the system's temporary folder, outside the repository. */
export function tempDir(): string {
  return mkdtempSync(TEMP_PREFIX);
}

/**
 * Removes a folder made by tempDir() (or anything inside one), and nothing else:
 * a hook that runs after a failed `before` sees an empty path, which must never
 * become the current folder.
 */
export function removeTemp(path: string): void {
  if (path === '' || !resolve(path).startsWith(TEMP_PREFIX)) return;
  const top = relative(tmpdir(), resolve(path)).split(sep)[0]!;
  rmSync(join(tmpdir(), top), { recursive: true, force: true });
}

/** One tarball `npm run pack` wrote. */
interface Packed {
  name: string;
  dir: string;
  tarball: string;
}

let packedList: Packed[] = [];

/** `npm run pack` (scripts/pack.mjs) into a new folder: every public workspace's tarball; returns the folder. */
export function packAll(): string {
  const dir = tempDir();
  const out = execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/pack.mjs'), '--out', dir, '--json'], { cwd: REPO_ROOT, env: NPM_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  packedList = JSON.parse(out) as Packed[];
  return dir;
}

/**
 * Runs create-tsgi the way `npx create-tsgi` runs a package that is not installed:
 * `npm exec` installs it (from its tarball, and its one dependency, @tsgi/errors, from
 * its tarball: no registry) into npm's cache and runs its bin in `cwd`.
 */
export function createTsgi(tarballs: string, cwd: string, args: readonly string[]): void {
  const tarball = (prefix: string): string => {
    const file = readdirSync(tarballs).find((f) => f.startsWith(prefix) && f.endsWith('.tgz'));
    if (!file) throw new Error(`no ${prefix}*.tgz in ${tarballs}`);
    return join(tarballs, file);
  };
  const exec = ['exec', '--offline', '--yes', '--package', tarball('create-tsgi-'), '--package', tarball('tsgi-errors-'), '--', 'create-tsgi', ...args];
  execFileSync('npm', exec, { cwd, env: NPM_ENV, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

/** `create-tsgi <name> ...args` in a new folder outside the repository; returns the project folder. */
export function scaffoldProject(tarballs: string, name: string, args: readonly string[]): string {
  const cwd = tempDir();
  createTsgi(tarballs, cwd, [name, ...args]);
  return join(cwd, name);
}

/**
 * `npm install --offline` in the project. npm's cache here holds the tarballs the
 * repository's `npm ci` fetched but not the registry metadata a lockfile-less install
 * reads, so the project gets a lockfile made of the repository's own (the same one
 * scripts/test/packed-install.test.ts uses): the versions the repository tests, each
 * tarball taken from the cache.
 */
export function installOffline(project: string): void {
  const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const vendored = packedList.filter((p) => manifest.dependencies[p.name]?.startsWith('file:'));
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() || 'https://registry.npmjs.org/';
  const lock = offlineLockfile(
    JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile,
    vendored.map((p) => ({ dir: p.dir, name: p.name, spec: manifest.dependencies[p.name]!, manifest: JSON.parse(readFileSync(join(REPO_ROOT, p.dir, 'package.json'), 'utf8')) as Record<string, unknown> })),
    manifest,
    registry,
  );
  writeFileSync(join(project, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund'], { cwd: project, env: NPM_ENV, stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
}

/** Runs an npm script to its end (with `node` from `nodeDir` first on PATH when given); returns its status and output. */
export function npmRun(project: string, script: string, nodeDir?: string): { status: number | null; output: string } {
  const env = nodeDir === undefined ? NPM_ENV : { ...NPM_ENV, PATH: `${nodeDir}${delimiter}${NPM_ENV.PATH ?? ''}` };
  const r = spawnSync('npm', ['run', script], { cwd: project, env, encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A long-running npm script in its own process group, so stopping it stops npm, the shell and the server. */
export interface RunningScript {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects on exit or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

export function startScript(project: string, script: string, env: NodeJS.ProcessEnv = {}): RunningScript {
  const child = spawn('npm', ['run', script], { cwd: project, env: { ...NPM_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = once(child, 'exit');
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is gone already.
    }
  };
  return {
    child,
    output: () => log,
    waitFor: (pattern, timeoutMs = 30_000) =>
      new Promise((resolveMatch, reject) => {
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.stderr.off('data', check);
          child.off('exit', onExit);
        };
        const check = (): void => {
          const m = pattern.exec(log);
          if (m) {
            cleanup();
            resolveMatch(m);
          }
        };
        const onExit = (): void => {
          cleanup();
          reject(new Error(`npm run ${script} exited before ${String(pattern)}: ${log}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`npm run ${script}: no ${String(pattern)} within ${timeoutMs} ms: ${log}`));
        }, timeoutMs);
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        child.once('exit', onExit);
        check();
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** GET over a fresh connection: status, body and which process answered. */
export async function get(url: string): Promise<{ status: number; body: string; servedBy: string | null }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text(), servedBy: response.headers.get('x-served-by') };
}
