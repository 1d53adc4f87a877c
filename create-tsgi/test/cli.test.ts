import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, removeTemp, tempDir } from './project.js';

// From the sources through tsx (resolved here: the child runs in a folder outside the repository).
const CLI = join(REPO_ROOT, 'create-tsgi', 'src', 'cli.ts');

function createTsgi(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--conditions=@tsgi/source', '--import', import.meta.resolve('tsx'), CLI, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('bad invocations: one line naming the problem, exit 2, nothing written', (t) => {
  const cwd = tempDir();
  t.after(() => removeTemp(cwd));
  mkdirSync(join(cwd, 'taken'));
  writeFileSync(join(cwd, 'taken', 'keep.txt'), 'mine');
  const cases: [string[], RegExp][] = [
    [['taken'], /taken exists and is not empty/],
    [[], /name the folder to create/],
    [['app', '--template', 'django'], /--template must be one of framework, node, got "django"/],
    [['My_App'], /project name must be .* got "my_app" \(from the folder's name; pass --name\)/],
    [['app', '--frob'], /Unknown option '--frob'/],
    [['app', '--tsgi-packages', 'nowhere'], /--tsgi-packages must be a folder of npm pack tarballs, got "nowhere"/],
  ];
  for (const [args, message] of cases) {
    const r = createTsgi(cwd, ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line`);
  }
  assert.deepEqual(readdirSync(cwd).sort(), ['taken']);
  assert.deepEqual(readdirSync(join(cwd, 'taken')), ['keep.txt'], 'the non-empty folder is left alone');
});

test('a tarball folder without a package the template needs is refused before anything is written', (t) => {
  const cwd = tempDir();
  t.after(() => removeTemp(cwd));
  mkdirSync(join(cwd, 'tarballs'));
  const r = createTsgi(cwd, 'app', '--tsgi-packages', 'tarballs');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /has no tarball of @tsgi\//);
  assert.deepEqual(readdirSync(cwd), ['tarballs']);
});

test('--help prints the usage and exits 0', () => {
  const r = createTsgi(REPO_ROOT, '--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: create-tsgi <folder> \[--template framework\|node\]/);
});
