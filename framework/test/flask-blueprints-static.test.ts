import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Blueprint, safeJoin, sendFile, sendFromDirectory, type Context } from '@tsgi/framework';

/** Behaviours of Flask's test_blueprints.py (nesting, folders) and the send_file/static tests of test_basic/test_helpers. */

function site(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-fw-static-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const sub of ['static', 'static/sub', 'bp_static', 'templates', 'bp_templates']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'static', 'hello.txt'), 'hello world\n');
  writeFileSync(join(dir, 'static', 'archive.tar.gz'), 'not really gzip');
  writeFileSync(join(dir, 'static', 'café.txt'), 'unicode name');
  writeFileSync(join(dir, 'bp_static', 'style.css'), 'a{}');
  writeFileSync(join(dir, 'templates', 'shared.html'), 'from the app');
  writeFileSync(join(dir, 'bp_templates', 'shared.html'), 'from the blueprint');
  writeFileSync(join(dir, 'bp_templates', 'only.html'), 'only in the blueprint');
  return dir;
}

test('nested blueprints: joined prefixes, dotted endpoints, request.blueprints, renamed registration (test_nested_blueprint, test_nesting_url_prefixes, test_blueprint_renaming)', async () => {
  const app = new App();
  const parent = new Blueprint('parent', { urlPrefix: '/parent' });
  const child = new Blueprint('child', { urlPrefix: '/child' });
  const grandchild = new Blueprint('grandchild', { urlPrefix: '/grandchild' });
  const show = (ctx: Context<unknown>) => `${ctx.endpoint} [${ctx.blueprints.join(',')}] ${ctx.urlFor('.index')}`;
  child.get('/', function index(ctx) { return show(ctx as Context<unknown>); });
  grandchild.get('/', function index(ctx) { return show(ctx as Context<unknown>); });
  child.registerBlueprint(grandchild);
  parent.registerBlueprint(child);
  parent.registerBlueprint(child, { name: 'alt', urlPrefix: '/alt' });
  app.registerBlueprint(parent);
  const client = app.testClient();
  assert.equal((await client.get('/parent/child/')).text, 'parent.child.index [parent.child,parent] /parent/child/');
  assert.equal((await client.get('/parent/child/grandchild/')).text, 'parent.child.grandchild.index [parent.child.grandchild,parent.child,parent] /parent/child/grandchild/');
  assert.equal((await client.get('/parent/alt/')).text, 'parent.alt.index [parent.alt,parent] /parent/alt/');
  assert.equal(app.urlFor('parent.alt.grandchild.index'), '/parent/alt/grandchild/');
  assert.throws(() => parent.registerBlueprint(parent), { code: 'FW_ERR_SETUP' });
});

test('blueprint url_defaults and url_value_preprocessor only for its endpoints (test_blueprint_url_processors)', async () => {
  const app = new App();
  const bp = new Blueprint('frontend', { urlPrefix: '/<lang_code>' });
  bp.urlDefaults((_endpoint, values, ctx) => {
    if (values && ctx && !('lang_code' in values)) values['lang_code'] = ctx.g['lang_code'];
  });
  bp.urlValuePreprocessor((_endpoint, values, ctx) => {
    if (values && ctx) {
      ctx.g['lang_code'] = values['lang_code'];
      delete values['lang_code'];
    }
  });
  bp.get('/', function index(ctx) { return ctx.urlFor('.about'); });
  bp.get('/about', function about(ctx) { return ctx.urlFor('.index'); });
  app.registerBlueprint(bp);
  const client = app.testClient();
  assert.equal((await client.get('/de/')).text, '/de/about');
  assert.equal((await client.get('/de/about')).text, '/de/');
});

test('static files through the router: the static endpoint, Flask answers for directories, traversal, methods (test_static_files)', async (t) => {
  const dir = site(t);
  const app = new App({ staticFolder: join(dir, 'static') });
  const client = app.testClient();
  const hello = await client.get('/static/hello.txt');
  assert.equal(hello.status, 200);
  assert.equal(hello.text, 'hello world\n');
  assert.equal(hello.header('Content-Type'), 'text/plain; charset=utf-8');
  assert.equal(hello.header('Cache-Control'), 'no-cache');
  assert.match(hello.header('ETag')!, /^"\d+(\.\d+)?-12-\d+"$/);
  assert.equal(app.urlFor('static', { filename: 'hello.txt' }), '/static/hello.txt');
  for (const path of ['/static/sub', '/static/sub/', '/static/missing', '/static/../static/hello.txt']) assert.equal((await client.get(path)).status, 404, path);
  const post = await client.post('/static/hello.txt');
  assert.equal(post.status, 405);
  assert.equal(post.header('Allow'), 'GET, HEAD, OPTIONS');
  assert.equal((await client.get('/static/archive.tar.gz')).header('Content-Encoding'), 'gzip');
  assert.equal((await client.get('/static/archive.tar.gz')).header('Content-Type'), 'application/x-tar');
  const custom = new App({ staticFolder: join(dir, 'static'), staticUrlPath: '/assets', sendFileMaxAge: 3600 });
  const cached = await custom.testClient().get('/assets/hello.txt');
  assert.equal(cached.header('Cache-Control'), 'public, max-age=3600');
  assert.ok(cached.header('Expires'));
});

test('staticFolder defaults to static/ beside the app: in rootPath (a module URL or a folder) or the cwd, with urlFor(\'static\') (issue 25)', async (t) => {
  const dir = site(t);
  writeFileSync(join(dir, 'app.js'), '// the app module');
  const check = async (app: App, what: string) => {
    assert.equal(app.urlFor('static', { filename: 'hello.txt' }), '/static/hello.txt', what);
    assert.equal((await app.testClient().get('/static/hello.txt')).text, 'hello world\n', what);
    assert.equal(app.renderTemplate('shared.html'), 'from the app', `${what}: templates/ from the same root`);
  };
  await check(new App({ rootPath: pathToFileURL(join(dir, 'app.js')).href }), 'rootPath: import.meta.url');
  await check(new App({ rootPath: new URL(`${pathToFileURL(dir).href}/`) }), 'rootPath: a folder URL');
  await check(new App({ rootPath: dir }), 'rootPath: a folder path');
  await check(new App({ rootPath: dir, staticFolder: 'static', templatesFolder: 'templates' }), 'relative folders from rootPath');
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    await check(new App(), 'no options: the cwd');
  } finally {
    process.chdir(cwd);
  }
  const none = new App({ rootPath: dir, staticFolder: null });
  assert.equal((await none.testClient().get('/static/hello.txt')).status, 404);
  assert.throws(() => none.urlFor('static', { filename: 'x' }), { code: 'FW_ERR_BUILD' });
  assert.throws(() => new App({ rootPath: '' }), /rootPath must be/);
});

test('static files refuse dotfiles and symlinks that leave the folder (404, as the staticFiles middleware), unless staticAccess allows them (issue 28)', async (t) => {
  const dir = site(t);
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(dir, 'outside', 'secret.txt'), 'secret');
  writeFileSync(join(dir, 'static', '.env'), 'API_KEY=1');
  mkdirSync(join(dir, 'static', '.git'));
  writeFileSync(join(dir, 'static', '.git', 'config'), '[core]');
  symlinkSync(join(dir, 'outside', 'secret.txt'), join(dir, 'static', 'link.txt'));
  symlinkSync(join(dir, 'outside'), join(dir, 'static', 'linkdir'));
  symlinkSync(join(dir, 'static', 'hello.txt'), join(dir, 'static', 'inside-link.txt'));
  const refused = ['/static/.env', '/static/.git/config', '/static/link.txt', '/static/linkdir/secret.txt'];

  const app = new App({ staticFolder: join(dir, 'static') });
  const client = app.testClient();
  for (const path of refused) assert.equal((await client.get(path)).status, 404, path);
  assert.equal((await client.get('/static/inside-link.txt')).text, 'hello world\n', 'a symlink that stays inside is served');
  assert.equal((await client.get('/static/hello.txt')).status, 200);

  const open = new App({ staticFolder: join(dir, 'static'), staticAccess: { dotfiles: true, symlinksOutsideRoot: true } });
  for (const path of refused) assert.equal((await open.testClient().get(path)).status, 200, `${path} allowed`);
  const dotOnly = new App({ staticFolder: join(dir, 'static'), staticAccess: { dotfiles: true } });
  assert.equal((await dotOnly.testClient().get('/static/.env')).status, 200);
  assert.equal((await dotOnly.testClient().get('/static/link.txt')).status, 404);
  assert.throws(() => new App({ staticAccess: { dotfile: true } as never }), /staticAccess\.dotfile is not an option/);

  // sendFromDirectory in a view: the same policy, the same options.
  const views = new App();
  views.get('/files/<path:name>', function files(ctx) { return sendFromDirectory(ctx.environ, join(dir, 'static'), ctx.params.name); });
  views.get('/open/<path:name>', function openFiles(ctx) { return sendFromDirectory(ctx.environ, join(dir, 'static'), ctx.params.name, { dotfiles: true, symlinksOutsideRoot: true }); });
  for (const path of refused) {
    assert.equal((await views.testClient().get(path.replace('/static/', '/files/'))).status, 404, path);
    assert.equal((await views.testClient().get(path.replace('/static/', '/open/'))).status, 200, path);
  }
});

test('conditional and range requests as Werkzeug: 304, one range 206, several or bad ranges 416, If-Range (make_conditional)', async (t) => {
  const dir = site(t);
  const app = new App({ staticFolder: join(dir, 'static') });
  const client = app.testClient();
  const first = await client.get('/static/hello.txt');
  const etag = first.header('ETag')!;
  const notModified = await client.get('/static/hello.txt', { headers: { 'If-None-Match': etag } });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.header('Content-Type'), undefined, '304 drops entity headers');
  assert.equal(notModified.header('ETag'), etag);
  const range = await client.get('/static/hello.txt', { headers: { Range: 'bytes=0-4' } });
  assert.equal(range.status, 206);
  assert.equal(range.text, 'hello');
  assert.equal(range.header('Content-Range'), 'bytes 0-4/12');
  const multi = await client.get('/static/hello.txt', { headers: { Range: 'bytes=0-1,3-4' } });
  assert.equal(multi.status, 416);
  assert.equal(multi.header('Content-Range'), 'bytes */12');
  assert.equal((await client.get('/static/hello.txt', { headers: { Range: 'bytes=50-' } })).status, 416);
  const staleIfRange = await client.get('/static/hello.txt', { headers: { Range: 'bytes=0-4', 'If-Range': '"stale"' } });
  assert.equal(staleIfRange.status, 200, 'a stale If-Range sends the whole file');
  assert.equal((await client.get('/static/hello.txt', { headers: { Range: 'bytes=0-4', 'If-Range': etag } })).status, 206);
});

test('a large file streams intact, a middle range is exact, HEAD opens nothing and sends the length', async (t) => {
  const dir = site(t);
  const data = Buffer.alloc(1024 * 1024 + 7, 0);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  writeFileSync(join(dir, 'static', 'big.bin'), data);
  const app = new App({ staticFolder: join(dir, 'static') });
  const client = app.testClient();
  const whole = await client.get('/static/big.bin');
  assert.equal(whole.header('Content-Type'), 'application/octet-stream');
  assert.ok(whole.body.equals(data));
  const middle = await client.get('/static/big.bin', { headers: { Range: 'bytes=500000-500099' } });
  assert.ok(middle.body.equals(data.subarray(500000, 500100)));
  const head = await client.head('/static/big.bin');
  assert.equal(head.header('Content-Length'), String(data.length));
  assert.equal(head.body.length, 0);
});

test('send_file options: attachment with a non-ASCII name, explicit mimetype (test_send_file, test_attachment)', async (t) => {
  const dir = site(t);
  const app = new App();
  app.get('/download', function download({ environ }) { return sendFile(environ, join(dir, 'static', 'café.txt'), { asAttachment: true }); });
  app.get('/typed', function typed({ environ }) { return sendFile(environ, join(dir, 'static', 'hello.txt'), { mimetype: 'application/x-custom', downloadName: 'a b.txt' }); });
  const client = app.testClient();
  assert.equal((await client.get('/download')).header('Content-Disposition'), "attachment; filename=cafe.txt; filename*=UTF-8''caf%C3%A9.txt");
  const typed = await client.get('/typed');
  assert.equal(typed.header('Content-Type'), 'application/x-custom');
  assert.equal(typed.header('Content-Disposition'), 'inline; filename="a b.txt"');
});

test('safe_join as Werkzeug: normalised inside, refused outside', () => {
  assert.equal(safeJoin('/r', 'a/../b'), '/r/b');
  assert.equal(safeJoin('/r', 'a//b'), '/r/a/b');
  assert.equal(safeJoin('/r', '../b'), undefined);
  assert.equal(safeJoin('/r', '/b'), undefined);
  assert.equal(safeJoin('/r', 'a\\b'), undefined);
  assert.equal(safeJoin('/r', '..'), undefined);
});

test('blueprint static and template folders: bp.static endpoint, the app folder wins, then the blueprint\'s (test_templates_and_static)', async (t) => {
  const dir = site(t);
  const app = new App({ templatesFolder: join(dir, 'templates') });
  const bp = new Blueprint('admin', { urlPrefix: '/admin', staticFolder: join(dir, 'bp_static'), templateFolder: join(dir, 'bp_templates') });
  bp.get('/shared', function shared(ctx) { return ctx.renderTemplate('shared.html'); });
  bp.get('/only', function only(ctx) { return ctx.renderTemplate('only.html'); });
  app.registerBlueprint(bp);
  const client = app.testClient();
  assert.equal(app.urlFor('admin.static', { filename: 'style.css' }), '/admin/bp_static/style.css');
  const css = await client.get('/admin/bp_static/style.css');
  assert.equal(css.text, 'a{}');
  assert.equal(css.header('Content-Type'), 'text/css; charset=utf-8');
  assert.equal((await client.get('/admin/shared')).text, 'from the app');
  assert.equal((await client.get('/admin/only')).text, 'only in the blueprint');
});
