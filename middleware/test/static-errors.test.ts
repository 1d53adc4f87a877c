import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { App } from '@tsgi/gateway';
import { staticFiles } from '@tsgi/middleware';
import { bytes, request, start } from './helpers/raw-http.ts';

/**
 * Only "there is no such file" (ENOENT, ENOTDIR, ENAMETOOLONG) looks missing.
 * A permission problem is 403 and any other file system failure 500, each with
 * a line on tsgi.errors, so an outage or a wrong mode is never disguised as 404.
 * All errors here are real: a mode-000 file and directory (read as an
 * unprivileged user: when the tests run as root the process switches its
 * effective uid to nobody around the request, because root bypasses modes),
 * a symlink loop (ELOOP), a path through a regular file (ENOTDIR).
 */
const NOBODY = 65534;

function site(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-mw-static-err-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const root = join(dir, 'public');
  mkdirSync(root, { mode: 0o755 });
  writeFileSync(join(root, 'open.txt'), 'readable\n', { mode: 0o644 });
  writeFileSync(join(root, 'locked.txt'), 'no one may read this\n');
  chmodSync(join(root, 'locked.txt'), 0o000);
  mkdirSync(join(root, 'closed'));
  writeFileSync(join(root, 'closed', 'inner.txt'), 'inside a mode-000 directory\n');
  chmodSync(join(root, 'closed'), 0o000);
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  return root;
}

const inner: App = (_environ, startResponse) => {
  startResponse('418 I\'m a teapot', [['Content-Type', 'text/plain']]);
  return [bytes('fell through')];
};

/** Runs `fn` with the effective uid of nobody when we are root (modes do not bind root). */
async function unprivileged<T>(fn: () => Promise<T>): Promise<T> {
  const root = typeof process.geteuid === 'function' && process.geteuid() === 0;
  if (root) process.seteuid!(NOBODY);
  try {
    return await fn();
  } finally {
    if (root) process.seteuid!(0);
  }
}

async function serveSite(t: TestContext) {
  const lines: string[] = [];
  const root = site(t);
  const server = await start(t, staticFiles(inner, { root, prefix: '/static', fallthrough: false }), {
    errors: { write: (line: string) => void lines.push(line), flush: () => undefined },
  });
  return { port: server.port, lines };
}

describe('staticFiles: file system errors other than "not found"', () => {
  test('a file the server may not read is 403 with a log line, not 404', async (t) => {
    const { port, lines } = await serveSite(t);
    const locked = await unprivileged(() => request(port, '/static/locked.txt'));
    assert.equal(locked.status, 403);
    assert.match(lines.join(''), /staticFiles: GET \/static\/locked\.txt: EACCES .*\(answered 403\)/);
    const readable = await unprivileged(() => request(port, '/static/open.txt'));
    assert.equal(readable.status, 200, 'the same user reads a readable file');
  });

  test('a file inside a directory the server may not enter is 403', async (t) => {
    const { port, lines } = await serveSite(t);
    const response = await unprivileged(() => request(port, '/static/closed/inner.txt'));
    assert.equal(response.status, 403);
    assert.match(lines.join(''), /EACCES/);
  });

  test('a symlink loop (ELOOP) is a 500 with a log line naming the error', async (t) => {
    const { port, lines } = await serveSite(t);
    const response = await request(port, '/static/loop-a');
    assert.equal(response.status, 500);
    assert.match(lines.join(''), /staticFiles: GET \/static\/loop-a: ELOOP .*\(answered 500\)/);
  });

  test('ENOENT, ENOTDIR and ENAMETOOLONG stay "not found" and log nothing', async (t) => {
    const { port, lines } = await serveSite(t);
    assert.equal((await request(port, '/static/missing.txt')).status, 404);
    assert.equal((await request(port, '/static/open.txt/child')).status, 404);
    assert.equal((await request(port, `/static/${'n'.repeat(300)}`)).status, 404);
    assert.deepEqual(lines, []);
  });
});
