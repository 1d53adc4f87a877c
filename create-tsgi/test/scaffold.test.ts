import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { freePorts, startProcess } from '@tsgi/test-support';
import { node22Dir } from '../../scripts/test/packed-install/node-22.ts';
import { get, installOffline, npmRun, packAll, REPO_ROOT, removeTemp, scaffoldProject, startScript } from './project.js';

// From an empty folder outside the repository, with no network, and only what the
// documented commands produce: create-tsgi from its packed tarball (npm exec), `npm
// install` from the packed @tsgi tarballs, then the project's own scripts. Packed
// once, scaffolded and installed once per template; each `it` uses that project.

const LISTENING = /Listening at: http:\/\/127\.0\.0\.1:(\d+)/;

/** Every file under `dir`, relative, sorted. */
function tree(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix)).flatMap((name) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    return statSync(join(dir, rel)).isDirectory() ? tree(dir, rel) : [rel];
  });
}

/** Does this appserver build have gunicorn's `--reload` (the dev loop)? */
function appserverHasReload(project: string): boolean {
  const r = spawnSync(process.execPath, [join(project, 'node_modules/@tsgi/appserver/bin/tsgi-appserver.js'), '--help'], { encoding: 'utf8' });
  return /--reload\b/.test(`${r.stdout}${r.stderr}`);
}

/** The project's `npm test` under Node 22 (engines >= 22.12), where this machine has one. */
function testOnNode22(project: string, t: TestContext, passes: RegExp): void {
  const dir = node22Dir(REPO_ROOT);
  if (dir === null) {
    t.skip('no Node 22 here (shared/node/node-bin.sh beside the repository provides it)');
    return;
  }
  const r = npmRun(project, 'test', dir);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, passes);
}

let tarballs = '';
before(() => {
  tarballs = packAll();
});
after(() => removeTemp(tarballs));

describe('create-tsgi --template framework (the default)', () => {
  let project = '';
  before(() => {
    project = scaffoldProject(tarballs, 'my-app', ['--tsgi-packages', tarballs]);
    installOffline(project);
  });
  after(() => removeTemp(project));

  it('writes the whole project, named after its folder, with the @tsgi packages from vendor/', () => {
    const files = tree(project).filter((f) => !f.startsWith('node_modules/'));
    for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src/app.ts', 'test/app.test.ts', 'templates/hello.html', 'static/style.css', 'proxy.yaml', 'Dockerfile', '.dockerignore', 'compose.yaml', 'prometheus.yml', 'k8s/base/kustomization.yaml', 'k8s/overlays/dev/kustomization.yaml', 'k8s/overlays/production/kustomization.yaml', 'k6/routes.js', 'README.md', '.gitignore']) {
      assert.ok(files.includes(f), `${f} is in the project`);
    }
    assert.deepEqual(files.filter((f) => readFileSync(join(project, f), 'latin1').includes('__APP_')), [], 'every placeholder is filled');
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
    assert.equal(manifest.name, 'my-app');
    assert.match(manifest.dependencies['@tsgi/framework'] ?? '', /^file:vendor\/tsgi-framework-.*\.tgz$/);
    assert.ok(existsSync(join(project, 'node_modules/@tsgi/framework/package.json')));
    assert.match(readFileSync(join(project, 'k8s/base/kustomization.yaml'), 'utf8'), /^namespace: my-app$/m);
  });

  it("ships the repository's sample-app files unchanged (one source of truth)", () => {
    const listed = JSON.parse(readFileSync(join(REPO_ROOT, 'create-tsgi/templates/framework/sample-app-files.json'), 'utf8')) as string[];
    const sampleFiles = listed.flatMap((entry) => (statSync(join(REPO_ROOT, 'sample-app', entry)).isDirectory() ? tree(join(REPO_ROOT, 'sample-app'), entry) : [entry]));
    assert.ok(sampleFiles.length >= 4);
    for (const f of sampleFiles) {
      assert.equal(readFileSync(join(project, f), 'utf8'), readFileSync(join(REPO_ROOT, 'sample-app', f), 'utf8'), f);
    }
  });

  it("passes its own `npm test` (the framework's test client) and `npm run typecheck`", () => {
    const r = npmRun(project, 'test');
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /pass 5/);
    const typecheck = npmRun(project, 'typecheck');
    assert.equal(typecheck.status, 0, typecheck.output);
  });

  it('passes its own `npm test` on Node 22 too', (t) => testOnNode22(project, t, /pass 5/));

  it('builds with `npm run build` and tsgi-appserver serves dist/app.js from node_modules', async (t) => {
    const build = npmRun(project, 'build');
    assert.equal(build.status, 0, build.output);
    const server = await startProcess(process.execPath, ['node_modules/@tsgi/appserver/bin/tsgi-appserver.js', '--bind', '127.0.0.1:0', 'dist/app.js:app'], { cwd: project, ready: LISTENING });
    t.after(() => server.stop());
    const base = `http://127.0.0.1:${server.port}`;
    assert.deepEqual(await get(`${base}/`).then((r) => [r.status, r.body]), [200, '<p>Hello, World!</p>']);
    assert.equal((await get(`${base}/post/5`)).body, 'Post 5');
    assert.match((await get(`${base}/hello/x`)).body, /<h1>Hello x!<\/h1>/);
    assert.equal((await get(`${base}/static/robots.txt`)).status, 200);
  });

  it('`npm run dev` serves the routes and picks up an edit to a route', async (t) => {
    if (!appserverHasReload(project)) {
      t.skip('this tsgi-appserver has no --reload yet (the dev loop lands with the devloop branch)');
      return;
    }
    const appFile = join(project, 'src/app.ts');
    const original = readFileSync(appFile, 'utf8');
    const dev = startScript(project, 'dev', { TSGI_BIND: '127.0.0.1:0' });
    t.after(async () => {
      await dev.stop();
      writeFileSync(appFile, original);
    });
    const port = Number((await dev.waitFor(LISTENING, 60_000))[1]);
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await get(`${base}/`)).body, '<p>Hello, World!</p>');
    assert.equal((await get(`${base}/post/5`)).body, 'Post 5');
    assert.match((await get(`${base}/hello/x`)).body, /<h1>Hello x!<\/h1>/);

    writeFileSync(appFile, original.replace("return '<p>Hello, World!</p>';", "return '<p>Hello, edited!</p>';"));
    const edited = Date.now();
    let body = '';
    // The target is 2 s; the loop allows more so that a loaded machine does not
    // fail the test, and reports the time taken.
    while (Date.now() - edited < 20_000) {
      body = (await get(`${base}/`).catch(() => ({ body: '' }))).body;
      if (body === '<p>Hello, edited!</p>') break;
      await sleep(50);
    }
    assert.equal(body, '<p>Hello, edited!</p>', dev.output());
    t.diagnostic(`the edit was served ${Date.now() - edited} ms after the write`);
  });

  it('`npm start` runs the local stack for the app and serves it through the proxy on the printed port', async (t) => {
    const [proxy, admin, appA, appB, metricsA, metricsB] = await freePorts(6);
    const start = startScript(project, 'start', {
      TSGI_START_PROXY_PORT: String(proxy),
      TSGI_START_ADMIN_PORT: String(admin),
      TSGI_START_APP_PORTS: `${appA},${appB}`,
      TSGI_START_METRICS_PORTS: `${metricsA},${metricsB}`,
      TSGI_START_WORKERS: '1',
    });
    t.after(() => start.stop());
    // tsgi-stack prints every URL once all tiers are up: a JSON record when stdout is not a terminal.
    const printed = await start.waitFor(/"edge proxy: start here":"http:\/\/127\.0\.0\.1:(\d+)\//, 180_000);
    const port = Number(printed[1]);
    assert.equal(port, proxy);
    const base = `http://127.0.0.1:${port}`;
    assert.equal((await get(`${base}/`)).body, '<p>Hello, World!</p>');
    assert.equal((await get(`${base}/post/5`)).body, 'Post 5');
    assert.match((await get(`${base}/hello/x`)).body, /<h1>Hello x!<\/h1>/);
  });
});

describe('create-tsgi --template node (Express with a WebSocket route)', () => {
  let project = '';
  before(() => {
    project = scaffoldProject(tarballs, 'ws-app', ['--template', 'node', '--tsgi-packages', tarballs]);
    installOffline(project);
  });
  after(() => removeTemp(project));

  it('passes its own `npm test` (a real socket, a real WebSocket) and `npm run typecheck`', () => {
    const r = npmRun(project, 'test');
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /pass 2/);
    const typecheck = npmRun(project, 'typecheck');
    assert.equal(typecheck.status, 0, typecheck.output);
  });

  it('passes its own `npm test` on Node 22 too', (t) => testOnNode22(project, t, /pass 2/));

  it('runs under tsgi-appserver --interface node: HTTP routes and the WebSocket upgrade', async (t) => {
    const build = npmRun(project, 'build');
    assert.equal(build.status, 0, build.output);
    const server = await startProcess(process.execPath, ['node_modules/@tsgi/appserver/bin/tsgi-appserver.js', '--interface', 'node', '--bind', '127.0.0.1:0', 'dist/app.js:app'], { cwd: project, ready: LISTENING });
    t.after(() => server.stop());
    const base = `127.0.0.1:${server.port}`;
    assert.equal((await get(`http://${base}/post/5`)).body, 'Post 5');
    assert.match((await get(`http://${base}/hello/x`)).body, /<h1>Hello x!<\/h1>/);
    const socket = new WebSocket(`ws://${base}/ws`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send('over the appserver');
    const echoed = await new Promise<string>((resolve) => socket.once('message', (data: Buffer) => resolve(data.toString())));
    socket.terminate();
    assert.equal(echoed, 'over the appserver');
  });
});
