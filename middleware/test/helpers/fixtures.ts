import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';

/** A public/ tree with a secret beside it (outside the root) and every awkward entry the tests need. */
export interface SiteFixture {
  dir: string;
  root: string;
  big: Buffer;
  js: string;
  cleanup(): void;
}

export const SECRET = 'TOP-SECRET-do-not-serve';

export function makeSite(): SiteFixture {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-mw-static-'));
  const root = join(dir, 'public');
  mkdirSync(root);
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  writeFileSync(join(dir, 'outside', 'secret.txt'), SECRET);
  writeFileSync(join(root, 'hello.txt'), 'hello world\n');
  writeFileSync(join(root, 'index.html'), '<p>root index</p>');
  writeFileSync(join(root, 'data.json'), '{"a":1}');
  writeFileSync(join(root, 'blob.unknownext'), 'x');
  writeFileSync(join(root, 'a b.txt'), 'space');
  writeFileSync(join(root, '.env'), SECRET);
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'config'), SECRET);
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'index.html'), '<p>sub index</p>');
  writeFileSync(join(root, 'sub', 'page.html'), '<p>page</p>');
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'docs', 'readme.txt'), 'docs');
  const big = randomBytes(3 * 1024 * 1024 + 123);
  writeFileSync(join(root, 'big.bin'), big);
  // Sparse: 64 MiB that cost no disk, larger than any socket buffer, so a
  // client that stops reading really stalls the response.
  writeFileSync(join(root, 'huge.bin'), '');
  truncateSync(join(root, 'huge.bin'), 64 * 1024 * 1024);
  const js = 'export const value = "' + 'abc'.repeat(2000) + '";\n';
  writeFileSync(join(root, 'app.js'), js);
  writeFileSync(join(root, 'app.js.br'), brotliCompressSync(js));
  writeFileSync(join(root, 'app.js.gz'), gzipSync(js));
  writeFileSync(join(root, 'only-gz.css'), 'body{}'.repeat(100));
  writeFileSync(join(root, 'only-gz.css.gz'), gzipSync('body{}'.repeat(100)));
  symlinkSync(join(root, 'hello.txt'), join(root, 'link-in.txt'));
  symlinkSync(join(dir, 'outside', 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(join(dir, 'outside'), join(root, 'link-dir-out'));
  symlinkSync('../secret.txt', join(root, 'link-rel-out.txt'));
  execFileSync('mkfifo', [join(root, 'pipe')]);
  return { dir, root, big, js, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
