import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '@tsgi/framework';

/** Flask's config.from_prefixed_env and config.from_file (test_config.py: test_from_prefixed_env*, test_config_from_file_*). */

function folder(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-fw-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('fromPrefixedEnv: JSON-decoded values, strings otherwise, __ nesting, Flask names; the app uses them', async () => {
  const app = new App({ secretKey: 'from-code', maxContentLength: 1000 });
  app.post('/echo', async ({ request, session }) => {
    session.set('seen', true);
    return request.text();
  });
  const env = {
    APP_MAX_CONTENT_LENGTH: '5',
    APP_SECRET_KEY: 'from-env', // not JSON: the string
    APP_SESSION__COOKIE_NAME: 'sid',
    APP_SESSION__COOKIE__SAME_SITE: '"Lax"',
    APP_DEBUG: 'false',
    OTHER_DEBUG: 'true',
  };
  const config = app.config.fromPrefixedEnv('APP_', env);
  assert.equal(config, app.config);
  assert.equal(app.config.maxContentLength, 5);
  assert.deepEqual(app.config.secretKeys, ['from-env']);
  assert.equal(app.config.session.cookieName, 'sid');
  assert.equal(app.config.session.cookie.sameSite, 'Lax');
  assert.equal(app.config.session.cookie.httpOnly, true, 'nested keys merge into the defaults');
  assert.equal(app.config.debug, false);
  const client = app.testClient();
  assert.equal((await client.post('/echo', { body: 'four' })).text, 'four');
  const big = await client.post('/echo', { body: 'too long' });
  assert.equal(big.status, 413);
  assert.match((await client.post('/echo', { body: 'ok' })).header('Set-Cookie')!, /^sid=.*SameSite=Lax/);
  // Flask's prefix has no trailing underscore; both spellings work.
  app.config.fromPrefixedEnv('APP', { APP_MAX_CONTENT_LENGTH: '7' });
  assert.equal(app.config.maxContentLength, 7);
  assert.deepEqual(app.config.secretKeys, ['from-env'], 'earlier loads stay');
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(app.config)) as object).includes('fromFile'), false, 'the loaders are not options');
});

test('fromPrefixedEnv: a bad value or an unknown key is one error naming the variable, and the config is unchanged', () => {
  const app = new App({ maxContentLength: 1000 });
  assert.throws(() => app.config.fromPrefixedEnv('APP_', { APP_MAX_CONTENT_LENGTH: '-1' }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'FW_ERR_SETUP');
    assert.match(err.message, /maxContentLength must be a positive integer, got -1 \(from APP_MAX_CONTENT_LENGTH\)/);
    return true;
  });
  assert.throws(() => app.config.fromPrefixedEnv('APP_', { APP_MAX_CONTENT_LENGHT: '5' }), /environment variable APP_MAX_CONTENT_LENGHT: "maxContentLenght" is not an app option/);
  assert.throws(() => app.config.fromPrefixedEnv('APP_', { APP_JSON: '{}' }), /"json" is not an app option/);
  assert.throws(() => app.config.fromPrefixedEnv('', {}), /prefix must be a non-empty string/);
  assert.equal(app.config.maxContentLength, 1000);
});

test('fromFile: JSON by default, any loader (as Flask\'s load=toml.load), relative to rootPath; errors name the file and key', async (t) => {
  const dir = folder(t);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ SECRET_KEY: 'file-key', maxFormParts: 3, session: { cookieName: 'fsid' } }));
  writeFileSync(join(dir, 'config.ini'), 'maxContentLength=42\nsendFileMaxAge=60\n');
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ sendFileMaxAge: 'soon' }));
  writeFileSync(join(dir, 'list.json'), '[1]');
  mkdirSync(join(dir, 'static'));
  writeFileSync(join(dir, 'static', '.well-known'), 'dot');
  const app = new App({ rootPath: dir });
  const client = app.testClient();
  assert.equal((await client.get('/static/.well-known')).status, 404);
  app.config.fromFile('config.json');
  assert.deepEqual(app.config.secretKeys, ['file-key']);
  assert.equal(app.config.maxFormParts, 3);
  assert.equal(app.config.session.cookieName, 'fsid');
  const ini = (text: string) => Object.fromEntries(text.trim().split('\n').map((line) => line.split('=')).map(([k, v]) => [k, Number(v)]));
  app.config.fromFile(join(dir, 'config.ini'), ini);
  assert.equal(app.config.maxContentLength, 42);
  assert.equal(app.config.sendFileMaxAge, 60);
  app.config.fromPrefixedEnv('APP', { APP_STATIC_ACCESS__DOTFILES: 'true' });
  const served = await client.get('/static/.well-known');
  assert.equal(served.status, 200, 'the existing static route follows the new staticAccess');
  assert.equal(served.header('Cache-Control'), 'public, max-age=60', 'and the new sendFileMaxAge');
  assert.throws(() => app.config.fromFile('bad.json'), /sendFileMaxAge must be a non-negative integer or null, got "soon" \(from .*bad\.json: sendFileMaxAge\)/);
  assert.throws(() => app.config.fromFile('missing.json'), /config file ".*missing\.json": ENOENT/);
  assert.throws(() => app.config.fromFile('list.json'), /must hold an object of options, got an array/);
  assert.throws(() => app.config.fromFile('config.ini'), /config file ".*config\.ini": .*JSON/);
  assert.equal(app.config.sendFileMaxAge, 60, 'a failed load changes nothing');
});
