// The `tsgi` command as a user runs it on their own app: a project folder
// outside this repository (only @tsgi/framework linked into its node_modules),
// `tsgi routes` printing the table, `tsgi run` serving it and restarting on an
// edit; real processes, real files, a real port.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '@tsgi/test-support';

const CLI = fileURLToPath(new URL('../src/cli/tsgi.ts', import.meta.url));
const FRAMEWORK = fileURLToPath(new URL('..', import.meta.url));
// tsx by its absolute URL: the project folder has no tsx of its own to resolve from.
const NODE_ARGS = ['--conditions=@tsgi/source', '--import', import.meta.resolve('tsx'), CLI];

const appSource = (home: string): string => `import { App } from '@tsgi/framework';

export const app = new App();
app.get('/', () => ${JSON.stringify(home)});
app.get('/post/<int:post_id>', ({ params }) => \`Post \${params.post_id}\`);
app.post('/login', () => 'login');
app.get('/about', () => 'about', { endpoint: 'about_page' });
app.get('/boom', () => {
  throw new Error('kaboom <b>');
});
`;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsgi-cli-'));
  mkdirSync(join(dir, 'node_modules', '@tsgi'), { recursive: true });
  symlinkSync(FRAMEWORK, join(dir, 'node_modules', '@tsgi', 'framework'));
  writeFileSync(join(dir, 'app.ts'), appSource('home v1'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function tsgi(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('tsgi routes', () => {
  it('prints endpoint, methods and rule as flask routes does, sorted by endpoint by default', async () => {
    const r = tsgi(['routes', 'app.ts:app']);
    assert.equal(await r.exited, 0, r.output());
    const lines = r.output().trimEnd().split('\n');
    assert.match(lines[0]!, /^Endpoint\s+Methods\s+Rule$/);
    assert.match(lines[1]!, /^-+ {2}-+ {2}-+$/);
    assert.deepEqual(
      lines.slice(2).map((l) => l.split(/\s{2,}/)),
      [
        ['/', 'GET', '/'],
        ['/boom', 'GET', '/boom'],
        ['/login [POST]', 'POST', '/login'],
        ['/post/<int:post_id>', 'GET', '/post/<int:post_id>'],
        ['about_page', 'GET', '/about'],
      ],
    );
  });

  it('--sort rule and --sort methods reorder; --all-methods shows HEAD and OPTIONS', async () => {
    const byRule = tsgi(['routes', 'app.ts:app', '--sort', 'rule']);
    assert.equal(await byRule.exited, 0);
    assert.deepEqual(byRule.output().trimEnd().split('\n').slice(2).map((l) => l.split(/\s{2,}/)[2]), ['/', '/about', '/boom', '/login', '/post/<int:post_id>']);
    const byMethods = tsgi(['routes', 'app.ts:app', '--sort', 'methods', '--all-methods']);
    assert.equal(await byMethods.exited, 0);
    const rows = byMethods.output().trimEnd().split('\n').slice(2).map((l) => l.split(/\s{2,}/));
    assert.deepEqual(rows.at(-1), ['/login [POST]', 'OPTIONS, POST', '/login']);
    assert.equal(rows[0]![1], 'GET, HEAD, OPTIONS');
  });

  it('a bad --sort or a missing app is one line, exit 2', async () => {
    const bad = tsgi(['routes', 'app.ts:app', '--sort', 'size']);
    assert.equal(await bad.exited, 2);
    assert.equal(bad.output(), 'tsgi: --sort must be one of endpoint, methods, rule, match, got "size"\n');
    const missing = tsgi(['routes', 'nope.ts:app']);
    assert.equal(await missing.exited, 2);
    assert.match(missing.output(), /^tsgi: app module not found: .*nope\.ts \(from "nope\.ts:app"\)\n$/);
  });
});

describe('tsgi run', () => {
  it('serves the app, restarts on an edit, waits through a syntax error (reported once) and recovers', { timeout: 90_000 }, async (t) => {
    const port = await freePort();
    const run = tsgi(['run', 'app.ts:app', '--port', String(port)]);
    const body = async (): Promise<string> => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
        return await res.text();
      } catch {
        return '';
      }
    };
    try {
      await until(() => /Running on http:\/\/127\.0\.0\.1:\d+\//.test(run.output()), 30_000, `Running on\n${run.output()}`);
      assert.equal(await body(), 'home v1');
      assert.match(run.output(), /Debug mode: off/);

      const edited = Date.now();
      writeFileSync(join(dir, 'app.ts'), appSource('home v2'));
      await until(async () => (await body()) === 'home v2', 20_000, `v2\n${run.output()}`);
      t.diagnostic(`edit to new answer: ${Date.now() - edited} ms`);

      writeFileSync(join(dir, 'app.ts'), `${appSource('home v3')}export const broken = ;\n`);
      // (The message is the loader's: Node's "SyntaxError: …", tsx's "Unexpected …".)
      await until(() => /waiting for a change/.test(run.output()), 20_000, 'the failed restart');
      assert.equal(run.output().match(/tsgi: importing \S*app\.ts failed: \S*app\.ts:\d+: /g)?.length, 1, run.output());

      writeFileSync(join(dir, 'app.ts'), appSource('home v4'));
      await until(async () => (await body()) === 'home v4', 20_000, `v4\n${run.output()}`);
      assert.equal(run.child.exitCode, null);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  it('--debug serves the debug error page (escaped), --no-reload from one process; without --debug the generic 500', { timeout: 60_000 }, async () => {
    for (const debug of [true, false]) {
      const port = await freePort();
      const run = tsgi(['run', 'app.ts:app', '--no-reload', '--port', String(port), ...(debug ? ['--debug'] : [])]);
      try {
        await until(() => /Running on/.test(run.output()), 30_000, 'Running on');
        assert.match(run.output(), debug ? /Debug mode: on/ : /Debug mode: off/);
        const res = await fetch(`http://127.0.0.1:${port}/boom`);
        const page = await res.text();
        assert.equal(res.status, 500);
        if (debug) assert.match(page, /kaboom &lt;b&gt;[\s\S]*<th>Method<\/th><td>GET<\/td>/);
        else assert.doesNotMatch(page, /kaboom/);
        assert.doesNotMatch(run.output(), /Restarting on changes/, 'no supervisor with --no-reload');
      } finally {
        run.child.kill('SIGTERM');
        assert.equal(await run.exited, 0);
      }
    }
  });
});
