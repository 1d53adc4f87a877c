import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, JsonProvider, json } from '@tsgi/framework';

/** Behaviours of Flask's tests/test_json.py and tests/test_templating.py. */

test('JSON: sorted keys, ASCII escapes, HTTP dates, compact with a trailing newline (test_json_key_sorting, test_json_as_unicode, test_jsonify_datetime)', async () => {
  const app = new App();
  app.get('/sorted', function sorted() { return { b: 1, a: { d: [{ z: 1, y: 2 }], c: null } }; });
  app.get('/unicode', function unicode() { return { s: 'caf\u00e9 \u{1f600}' }; });
  app.get('/date', function date() { return { d: new Date(Date.UTC(2011, 0, 2, 3, 4, 5)) }; });
  app.get('/big', function big() { return { n: 2n ** 64n }; });
  const client = app.testClient();
  const sorted = await client.get('/sorted');
  assert.equal(sorted.text, '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}\n');
  assert.equal(sorted.header('Content-Type'), 'application/json');
  assert.equal((await client.get('/unicode')).text, '{"s":"caf\\u00e9 \\ud83d\\ude00"}\n');
  assert.equal((await client.get('/date')).text, '{"d":"Sun, 02 Jan 2011 03:04:05 GMT"}\n');
  assert.equal((await client.get('/big')).text, '{"n":18446744073709551616}\n', 'bigints are written exactly');
  assert.equal(json([1, 2]).body, '[1,2]\n');
});

test('JSON: configurable per app, at construction or on app.json (test_json_customization, test_json_custom_mimetypes)', async () => {
  const app = new App({ json: { sortKeys: false, ensureAscii: false } });
  app.get('/', function index() { return { b: 'é', a: 1 }; });
  const client = app.testClient();
  assert.equal((await client.get('/')).text, '{"b":"é","a":1}\n');
  app.json.sortKeys = true;
  app.json.mimetype = 'application/vnd.api+json';
  const changed = await client.get('/');
  assert.equal(changed.text, '{"a":1,"b":"é"}\n');
  assert.equal(changed.header('Content-Type'), 'application/vnd.api+json');
  assert.equal(app.json.dumps({ b: [1, 2], a: {} }), '{"a": {}, "b": [1, 2]}', "dumps() has Python's default separators");
});

test('JSON: a provider of your own (json_provider_class)', async () => {
  class UpperProvider extends JsonProvider {
    override dumps(value: unknown, options?: { indent?: number; compact?: boolean }): string {
      return super.dumps(value, options).toUpperCase();
    }
  }
  const app = new App({ json: new UpperProvider() });
  app.get('/', function index() { return { a: 'x' }; });
  assert.equal((await app.testClient().get('/')).text, '{"A":"X"}\n');
});

test('JSON: indented in debug mode unless compact is set (test_jsonify_no_prettyprint)', async () => {
  const debug = new App({ debug: true });
  debug.get('/', function index() { return { a: [1], b: {} }; });
  assert.equal((await debug.testClient().get('/')).text, '{\n  "a": [\n    1\n  ],\n  "b": {}\n}\n');
  const compact = new App({ debug: true, json: { compact: true } });
  compact.get('/', function index() { return { a: 1 }; });
  assert.equal((await compact.testClient().get('/')).text, '{"a":1}\n');
});

test('JSON bodies: bad JSON is the generic 400, silent gives undefined, force skips the type check (test_json_bad_requests)', async () => {
  const app = new App();
  app.post('/strict', async function strict({ request }) { return { got: await request.json() }; });
  app.post('/silent', async function silent({ request }) { return { got: (await request.getJson({ silent: true })) ?? 'nothing' }; });
  app.post('/force', async function force({ request }) { return { got: await request.json({ force: true }) }; });
  const client = app.testClient();
  const bad = await client.post('/strict', { body: '{bad', headers: { 'Content-Type': 'application/json' } });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /The browser \(or proxy\) sent a request that this server could not understand\./);
  assert.equal((await client.post('/silent', { body: '{bad', headers: { 'Content-Type': 'application/json' } })).json<{ got: string }>().got, 'nothing');
  assert.equal((await client.post('/silent', { body: '{}', headers: { 'Content-Type': 'text/plain' } })).json<{ got: string }>().got, 'nothing');
  assert.deepEqual((await client.post('/force', { body: '[1]', headers: { 'Content-Type': 'text/plain' } })).json(), { got: [1] });
});

function templates(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-fw-tpl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('templates: autoescape only for html/htm/xml/xhtml/svg, strings autoescaped, one trailing newline dropped (test_escaping, test_no_escaping)', (t) => {
  const folder = templates(t, { 'a.html': '{{ v }}\n', 'a.xml': '{{ v }}', 'a.txt': '{{ v }}\n\n', 'a.js': '{{ v }}' });
  const app = new App({ templatesFolder: folder });
  assert.equal(app.renderTemplate('a.html', { v: '<b>' }), '&lt;b&gt;');
  assert.equal(app.renderTemplate('a.xml', { v: '<b>' }), '&lt;b&gt;');
  assert.equal(app.renderTemplate('a.txt', { v: '<b>' }), '<b>\n', 'only one trailing newline goes, as keep_trailing_newline=False');
  assert.equal(app.renderTemplate('a.js', { v: '<b>' }), '<b>');
  assert.equal(app.renderTemplateString('{{ v }}', { v: '<b>' }), '&lt;b&gt;');
});

test('templates: tojson is HTML-safe and sorted (test_tojson_filter)', () => {
  const app = new App();
  const out = app.renderTemplateString('<script>var x = {{ x|tojson }};</script>', { x: { b: "</script>'&", a: 1 } });
  assert.equal(out, '<script>var x = {"a": 1, "b": "\\u003c/script\\u003e\\u0027\\u0026"};</script>');
});

test('templates: template_filter, template_test, template_global, context processors of app and blueprint (test_template_filter, test_template_test, test_add_template_global, test_context_processing)', async (t) => {
  const folder = templates(t, { 'page.html': '{{ "abc"|rev }} {{ 4 is even_number }} {{ answer() }} {{ injected }} {{ bp_only }}' });
  const { Blueprint } = await import('@tsgi/framework');
  const app = new App({ templatesFolder: folder, secretKey: 'k' });
  app.templateFilter('rev', (s: string) => [...s].reverse().join(''));
  app.templateTest('even_number', (n: number) => n % 2 === 0);
  app.templateGlobal('answer', () => 42);
  app.contextProcessor(() => ({ injected: 'app value' }));
  const bp = new Blueprint('bp', { urlPrefix: '/bp' });
  bp.contextProcessor(() => ({ bp_only: 'bp value' }));
  bp.get('/', function index(ctx) { return ctx.renderTemplate('page.html'); });
  app.get('/', function index(ctx) { return ctx.renderTemplate('page.html'); });
  app.registerBlueprint(bp);
  const client = app.testClient();
  // A test's verdict prints as Jinja prints Python's bool: `True`.
  assert.equal((await client.get('/')).text, 'cba True 42 app value ');
  assert.equal((await client.get('/bp/')).text, 'cba True 42 app value bp value');
  assert.equal((await client.get('/')).header('Vary'), undefined, 'a page that never reads the session gets no Vary: Cookie');
});

test('templates: flashed messages with categories and filters (test_flashes, test_extended_flashing)', async () => {
  const app = new App({ secretKey: 'k' });
  app.get('/add', function add(ctx) {
    ctx.flash('hello');
    ctx.flash('oops', 'error');
    return 'added';
  });
  app.get('/show', function show(ctx) {
    return JSON.stringify([ctx.getFlashedMessages({ withCategories: true }), ctx.getFlashedMessages({ categoryFilter: ['error'] })]);
  });
  app.get('/again', function again(ctx) { return JSON.stringify(ctx.getFlashedMessages()); });
  const client = app.testClient();
  await client.get('/add');
  assert.equal((await client.get('/show')).text, '[[["message","hello"],["error","oops"]],["oops"]]');
  assert.equal((await client.get('/again')).text, '[]', 'flashes are consumed by the first read');
});
