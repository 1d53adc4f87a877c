import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, BuildError, UrlMap } from '@tsgi/framework';

/**
 * Behaviours of werkzeug's tests/test_routing.py, as requests and answers
 * (and Flask's url_for tests in test_helpers/test_basic): converters,
 * defaults, redirect_to, alias, build order and query encoding.
 */

function match(map: UrlMap, path: string): unknown {
  const result = map.match(path, 'GET');
  return result.kind === 'match' ? [result.rule.endpoint, result.values] : result.kind;
}

test('int converter: fixed_digits counts the sign, signed allows "-", no "+" (test_converters / test_int_converter)', () => {
  const map = new UrlMap();
  map.add('/a/<int(fixed_digits=3, signed=True):x>', { endpoint: 'a' });
  map.add('/b/<int(signed=True):x>', { endpoint: 'b' });
  map.add('/c/<int(fixed_digits=2):x>', { endpoint: 'c' });
  assert.deepEqual(match(map, '/a/-12'), ['a', [-12]]);
  assert.equal(match(map, '/a/-123'), 'none');
  assert.deepEqual(match(map, '/a/012'), ['a', [12]]);
  assert.deepEqual(match(map, '/b/-5'), ['b', [-5]]);
  assert.deepEqual(match(map, '/b/05'), ['b', [5]]);
  assert.equal(match(map, '/b/+5'), 'none');
  assert.deepEqual(match(map, '/c/05'), ['c', [5]]);
  assert.equal(match(map, '/c/5'), 'none');
  assert.equal(match(map, '/c/123'), 'none');
  // Building pads like Python's zfill, the sign in front.
  assert.equal(map.build('a', { x: -5 }), '/a/-05');
  assert.equal(map.build('a', { x: 5 }), '/a/005');
  assert.equal(map.build('c', { x: 5 }), '/c/05');
});

test('defaults: a URL equal to the defaults redirects (308) to the canonical rule; url_for builds the defaults away (test_default_redirects, test_build_drop_defaults)', async () => {
  const app = new App();
  function page({ params }: { params: { page?: unknown } }) {
    return `page ${String(params.page)}`;
  }
  app.get('/page/<int:page>', page);
  app.get('/page/', page, { defaults: { page: 1 } });
  const client = app.testClient();
  const redirect = await client.get('/page/1?x=y');
  assert.equal(redirect.status, 308);
  assert.equal(redirect.header('Location'), 'http://localhost/page/?x=y');
  assert.equal((await client.get('/page/')).text, 'page 1');
  assert.equal((await client.get('/page/2')).text, 'page 2');
  assert.equal(app.urlFor('page', { page: 1 }), '/page/');
  assert.equal(app.urlFor('page', { page: 2 }), '/page/2');
  assert.equal(app.urlFor('page'), '/page/');
});

test('redirect_to: a template with the rule variables, a function, and a fixed URL (test_redirect_path, test_redirect_request_exception_code)', async () => {
  const app = new App();
  app.get('/item/<int:id>', function item({ params }) { return `item ${params.id}`; });
  app.get('/old/<int:id>', () => '', { endpoint: 'old', redirectTo: '/item/<id>' });
  app.get('/fn/<int:id>', () => '', { endpoint: 'fn', redirectTo: (params) => `/item/${Number(params['id']) + 1}` });
  app.get('/away', () => '', { endpoint: 'away', redirectTo: 'https://example.com/there' });
  const client = app.testClient();
  const old = await client.get('/old/7');
  assert.equal(old.status, 308);
  assert.equal(old.header('Location'), 'http://localhost/item/7');
  assert.equal((await client.get('/fn/7')).header('Location'), 'http://localhost/item/8');
  assert.equal((await client.get('/away')).header('Location'), 'https://example.com/there');
  assert.equal((await client.get('/old/7', { followRedirects: true })).text, 'item 7');
});

test('alias rules redirect to the canonical rule and are never built (test_alias_redirects)', async () => {
  const app = new App();
  function index() { return 'index'; }
  app.get('/index', index, { alias: true });
  app.get('/', index);
  const client = app.testClient();
  const alias = await client.get('/index?q=1');
  assert.equal(alias.status, 308);
  assert.equal(alias.header('Location'), 'http://localhost/?q=1');
  assert.equal(app.urlFor('index'), '/');
});

test('url_for: "+" for spaces and werkzeug safe characters in the query, lists repeat the key, anchors quoted (test_build_append_unknown, test_url_for_with_anchor)', () => {
  const app = new App();
  app.get('/n/<int:n>', function n() { return ''; });
  assert.equal(app.urlFor('n', { n: 3, q: 'a b', r: 'x&y=z', s: "!$'()*,/:;?@" }), "/n/3?q=a+b&r=x%26y%3Dz&s=!$'()*,/:;?@");
  assert.equal(app.urlFor('n', { n: 3, tag: ['a', 'b'] }), '/n/3?tag=a&tag=b');
  assert.equal(app.urlFor('n', { n: 3 }, { anchor: 'part two' }), '/n/3#part%20two');
  assert.throws(() => app.urlFor('n'), (error: unknown) => error instanceof BuildError && error.code === 'FW_ERR_BUILD');
});

test('url_for in a request: _external and _scheme, the mount point (test_url_generation, test_url_for_with_scheme)', async () => {
  const app = new App();
  app.get('/here', function here(ctx) {
    return [ctx.urlFor('here', {}, { external: true }), ctx.urlFor('here', {}, { scheme: 'https' }), ctx.urlFor('here')].join(' ');
  });
  const text = (await app.testClient().get('/here', { environ: { SCRIPT_NAME: '/app' } })).text;
  assert.equal(text, 'http://localhost/app/here https://localhost/app/here /app/here');
});

test('url_defaults and url_value_preprocessor on the app (test_url_processors)', async () => {
  const app = new App();
  app.urlDefaults((endpoint, values, ctx) => {
    if (values && !('lang' in values) && ctx && app.urlMap.rules.some((r) => r.endpoint === endpoint && r.argNames.includes('lang'))) values['lang'] = ctx.g['lang'];
  });
  const calls: unknown[] = [];
  app.urlValuePreprocessor((endpoint, values, ctx) => {
    calls.push([endpoint, values === undefined ? 'no values' : 'values']);
    if (values && ctx && 'lang' in values) {
      ctx.g['lang'] = values['lang'];
      delete values['lang'];
    }
  });
  app.get('/<lang>/', function index(ctx) { return ctx.urlFor('about'); });
  app.get('/<lang>/about', function about(ctx) { return `${String(ctx.g['lang'])} ${JSON.stringify(ctx.params)}`; });
  app.get('/foo', function something_else(ctx) { return ctx.urlFor('about', { lang: 'en' }); });
  const client = app.testClient();
  assert.equal((await client.get('/de/')).text, '/de/about');
  assert.equal((await client.get('/de/about')).text, 'de {}');
  assert.equal((await client.get('/foo')).text, '/en/about');
  calls.length = 0;
  assert.equal((await client.get('/no/such/page')).status, 404);
  assert.deepEqual(calls, [[undefined, 'no values']], 'preprocessors run for unrouted requests too, without values (Flask)');
});
