// The packages as a user gets them: `npm run pack` writes the tarballs, a new
// project outside the workspace (os.tmpdir()) installs them with no network
// (npm install --offline from the cache `npm ci` filled), then imports every public entry from plain JS on this Node and on
// Node 22, also under the `development` condition that Vite and vitest set;
// compiles TypeScript with the project's own tsc (strict, nodenext); runs a vitest
// test through the framework's test client; and runs both CLIs through npx.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { node22Dir } from './packed-install/node-22.ts';
import { offlineLockfile, type Lockfile, type ProjectManifest } from './packed-install/offline-lock.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The packages issue 25 names; any other public workspace is packed and checked too. */
const KNOWN_PUBLIC = ['@tsgi/errors', '@tsgi/http1', '@tsgi/arbiter', '@tsgi/gateway', '@tsgi/appserver', '@tsgi/framework', '@tsgi/middleware', '@tsgi/proxy'];
/** What the project's devDependencies take from the workspace root (so from the npm cache). */
const PROJECT_TOOLS = ['typescript', '@types/node', 'vitest'];
const STEP_TIMEOUT = 240_000;

interface Packed {
  name: string;
  version: string;
  dir: string;
  tarball: string;
  size: number;
  bins: string[];
}

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  description?: string;
  license?: string;
  main?: string;
  types?: string;
  engines?: { node?: string };
  repository?: { type?: string; url?: string; directory?: string };
  exports?: Record<string, string | Record<string, string>>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

let work = '';
let project = '';
let packed: Packed[] = [];
/** npm offline: everything from the cache (keyed by the registry's URLs), never the network. */
const offlineEnv: NodeJS.ProcessEnv = {
  ...process.env,
  npm_config_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  NO_COLOR: '1',
};

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = offlineEnv): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: STEP_TIMEOUT });
}

function assertOk(result: SpawnSyncReturns<string>, what: string): void {
  assert.equal(result.status, 0, `${what} exited ${result.status ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
}

/** Every import specifier a package exports ("@tsgi/gateway", "@tsgi/gateway/conformance"); none for a command-only package. */
function entriesOf(manifest: Manifest): string[] {
  if (!manifest.exports) return manifest.main ? [manifest.name] : [];
  return Object.keys(manifest.exports).map((subpath) => (subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`));
}

function installedManifest(name: string): Manifest {
  return readJson<Manifest>(join(project, 'node_modules', name, 'package.json'));
}

/** The Node lines to check: this one, and 22 where it can be had (the test says so where it cannot). */
function nodeLines(t: TestContext): Array<{ label: string; env: NodeJS.ProcessEnv; node: string }> {
  const lines = [{ label: `Node ${process.versions.node}`, env: offlineEnv, node: process.execPath }];
  const dir22 = node22Dir(ROOT);
  if (!dir22) t.diagnostic('Node 22 not checked: no shared/node/node-bin.sh beside the repository, or it could not provide Node 22');
  else if (!process.versions.node.startsWith('22.')) {
    const env = { ...offlineEnv, PATH: `${dir22}${delimiter}${process.env.PATH ?? ''}` };
    lines.push({ label: 'Node 22', env, node: join(dir22, 'node') });
  }
  return lines;
}

function writeProject(): void {
  const rootManifest = readJson<Manifest>(join(ROOT, 'package.json'));
  const tools = Object.fromEntries(PROJECT_TOOLS.map((name) => {
    const range = rootManifest.devDependencies?.[name];
    assert.ok(range, `the workspace root must list ${name} in devDependencies (so that npm ci caches it)`);
    return [name, range];
  }));
  const manifest: ProjectManifest = {
    name: 'tsgi-packed-install-check',
    version: '1.0.0',
    dependencies: Object.fromEntries(packed.map((p) => [p.name, `file:../packs/${p.tarball.split('/').pop()}`])),
    devDependencies: tools,
  };
  const spec = new Map(Object.entries(manifest.dependencies));
  const lock = offlineLockfile(
    readJson<Lockfile>(join(ROOT, 'package-lock.json')),
    packed.map((p) => ({ dir: p.dir, name: p.name, spec: spec.get(p.name)! })),
    manifest,
    run('npm', ['config', 'get', 'registry'], ROOT, process.env).stdout.trim() || 'https://registry.npmjs.org/',
  );
  mkdirSync(join(project, 'src'), { recursive: true });
  mkdirSync(join(project, 'test'));
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ ...manifest, private: true, type: 'module' }, null, 2)}\n`);
  writeFileSync(join(project, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  // An app of the user's own, for tsgi-appserver --check-config.
  writeFileSync(join(project, 'app.mjs'), [
    "import { App } from '@tsgi/framework';",
    "import { securityHeaders } from '@tsgi/middleware';",
    'const site = new App();',
    "site.route('/', () => 'hello from a packed install');",
    'export const app = securityHeaders(site);',
    '',
  ].join('\n'));
  writeFileSync(join(project, 'proxy.yaml'), [
    'listeners:',
    '  - address: 127.0.0.1:20080',
    'upstreams:',
    '  app:',
    '    servers: [127.0.0.1:20081]',
    'routes:',
    '  - path: /',
    '    upstream: app',
    '',
  ].join('\n'));
  writeFileSync(join(project, 'tsconfig.json'), `${JSON.stringify({
    compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: ['node'], skipLibCheck: false },
    include: ['src'],
  }, null, 2)}\n`);
  writeFileSync(join(project, 'test', 'app.test.ts'), [
    "import { expect, test } from 'vitest';",
    "import { App } from '@tsgi/framework';",
    '',
    "test('a framework app answers through the test client', async () => {",
    '  const app = new App();',
    "  app.route('/hello/<name>', ({ params }) => `Hello, ${params.name}!`);",
    "  const response = await app.testClient().get('/hello/vitest');",
    '  expect(response.status).toBe(200);',
    "  expect(response.text).toBe('Hello, vitest!');",
    '});',
    '',
  ].join('\n'));
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'tsgi-packed-'));
  project = join(work, 'app');
  mkdirSync(project);
  const pack = run(process.execPath, [join(ROOT, 'scripts', 'pack.mjs'), '--out', join(work, 'packs'), '--json'], ROOT, process.env);
  assertOk(pack, 'npm run pack');
  packed = JSON.parse(pack.stdout) as Packed[];
  writeProject();
  assertOk(run('npm', ['install', '--offline', '--no-audit', '--no-fund'], project), `npm install --offline in ${project}`);
}, { timeout: STEP_TIMEOUT });

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('npm run pack writes a tarball for every public workspace, with dist, types and bins, and no tests, fixtures or build info', () => {
  const names = packed.map((p) => p.name);
  for (const name of KNOWN_PUBLIC) assert.ok(names.includes(name), `${name} was not packed (packed: ${names.join(', ')})`);
  for (const p of packed) {
    const listing = run('tar', ['-tzf', p.tarball], work);
    assertOk(listing, `tar -tzf ${p.tarball}`);
    const files = new Set(listing.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')));
    // Our tests, fixtures and build info; a template's own test (a scaffolder's) is content, not ours.
    const ours = /^(test|tests|__tests__|fixtures|bench)\/|^(src|dist)\/(.+\/)?(test|tests|__tests__|fixtures)\/|^(src|dist)\/.*\.test\.[cm]?[jt]s$|\.tsbuildinfo$/;
    const shipped = [...files].filter((f) => ours.test(f));
    assert.deepEqual(shipped, [], `${p.name} ships test files or build info`);
    const manifest = installedManifest(p.name);
    assert.equal(manifest.private, undefined, `${p.name} is private`);
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      assert.equal(typeof target, 'object', `${p.name} exports["${subpath}"] has no conditions`);
      const conditions = target as Record<string, string>;
      assert.ok(!('development' in conditions), `${p.name} exports["${subpath}"] answers the development condition, which Vite and vitest set`);
      for (const condition of ['types', 'default']) {
        const file = conditions[condition];
        assert.ok(file && files.has(file.replace(/^\.\//, '')), `${p.name} exports["${subpath}"].${condition} = ${file} is not in the tarball`);
      }
    }
    for (const [bin, file] of Object.entries(manifest.bin ?? {})) assert.ok(files.has(file.replace(/^\.\//, '')), `${p.name} bin ${bin} = ${file} is not in the tarball`);
    if (entriesOf(manifest).length > 0) assert.ok(manifest.types && files.has(manifest.types.replace(/^\.\//, '')), `${p.name} "types" = ${manifest.types} is not in the tarball`);
    assert.ok(files.has('README.md'), `${p.name} ships no README.md`);
  }
});

test('every public package declares what a registry shows, and depends only on packed packages of ours at their packed version', () => {
  const versions = new Map(packed.map((p) => [p.name, p.version]));
  for (const p of packed) {
    const manifest = installedManifest(p.name);
    assert.ok(manifest.description, `${p.name} has no description`);
    assert.ok(manifest.license, `${p.name} has no license`);
    assert.ok(manifest.engines?.node, `${p.name} has no engines.node`);
    assert.equal(manifest.repository?.directory, p.dir, `${p.name} repository.directory`);
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
      if (!dep.startsWith('@tsgi/')) continue;
      const version = versions.get(dep);
      assert.ok(version, `${p.name} depends on ${dep}, which is not a public package`);
      assert.ok(range === version || range === `^${version}`, `${p.name} depends on ${dep}@${range}, which the packed ${version} does not satisfy`);
    }
  }
});

test('every public entry imports from plain JS, on this Node and on Node 22, with and without the development condition', (t) => {
  const entries = packed.flatMap((p) => entriesOf(installedManifest(p.name)));
  writeFileSync(join(project, 'import-all.mjs'), [
    `for (const entry of ${JSON.stringify(entries)}) {`,
    '  const module = await import(entry);',
    "  if (Object.keys(module).length === 0) throw new Error(`${entry} exports nothing`);",
    '  console.log(entry, import.meta.resolve(entry));',
    '}',
    '',
  ].join('\n'));
  for (const { label, node } of nodeLines(t)) {
    for (const flags of [[], ['--conditions=development']]) {
      const result = run(node, [...flags, 'import-all.mjs'], project);
      assertOk(result, `${label} ${flags.join(' ')} import-all.mjs`);
      for (const line of result.stdout.trim().split('\n')) {
        assert.match(line, /\/node_modules\/(@tsgi\/)?[^/]+\/dist\/[^ ]+\.js$/, `${label} ${flags.join(' ')}: ${line} does not resolve into dist`);
      }
    }
  }
});

test("the project's own tsc (strict, nodenext, no skipLibCheck) compiles code that uses the packages", () => {
  const entries = packed.flatMap((p) => entriesOf(installedManifest(p.name)));
  writeFileSync(join(project, 'src', 'main.ts'), [
    ...entries.map((entry, i) => `import * as entry${i} from '${entry}';`),
    "import { App } from '@tsgi/framework';",
    "import { serve, type App as TsgiApp } from '@tsgi/gateway';",
    "import { securityHeaders } from '@tsgi/middleware';",
    '',
    'const site = new App();',
    "site.get('/post/<int:id>', ({ params }) => { const id: number = params.id; return `Post ${id}`; });",
    'export const app: TsgiApp = securityHeaders(site);',
    'export const start = () => serve(app, { port: 0 });',
    `export const entries = [${entries.map((_, i) => `entry${i}`).join(', ')}];`,
    '',
  ].join('\n'));
  assertOk(run(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project), 'tsc -p tsconfig.json');
});

test('vitest runs a test of the project that uses the framework test client', () => {
  const result = run(process.execPath, [join('node_modules', 'vitest', 'vitest.mjs'), 'run'], project);
  assertOk(result, 'vitest run');
  assert.match(result.stdout, /1 passed/);
});

test('tsgi-appserver and tsgi-proxy answer --help and --check-config through npx, on this Node and on Node 22', (t) => {
  const bins = packed.flatMap((p) => p.bins);
  for (const bin of ['tsgi-appserver', 'tsgi-proxy']) assert.ok(bins.includes(bin), `no package ships ${bin}`);
  for (const { label, env } of nodeLines(t)) {
    const npx = (args: string[]) => run('npx', ['--no', '--', ...args], project, env);
    const appHelp = npx(['tsgi-appserver', '--help']);
    assertOk(appHelp, `${label} npx tsgi-appserver --help`);
    assert.match(appHelp.stdout, /usage: tsgi-appserver/);
    const proxyHelp = npx(['tsgi-proxy', '--help']);
    assertOk(proxyHelp, `${label} npx tsgi-proxy --help`);
    assert.match(proxyHelp.stdout + proxyHelp.stderr, /tsgi-proxy/);
    const appCheck = npx(['tsgi-appserver', '--check-config', 'app.mjs:app']);
    assertOk(appCheck, `${label} npx tsgi-appserver --check-config app.mjs:app`);
    assert.match(appCheck.stdout, /"app\.mjs:app"/);
    const proxyCheck = npx(['tsgi-proxy', '--config', 'proxy.yaml', '--check-config']);
    assertOk(proxyCheck, `${label} npx tsgi-proxy --config proxy.yaml --check-config`);
    assert.match(proxyCheck.stdout, /config ok/);
    // The example config shipped in the package validates as it is.
    const example = npx(['tsgi-proxy', '--config', join('node_modules', '@tsgi', 'proxy', 'proxy.example.yaml'), '--check-config']);
    assertOk(example, `${label} npx tsgi-proxy --check-config with the shipped proxy.example.yaml`);
  }
});
