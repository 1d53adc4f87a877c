import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, BaseConverter, ValidationError, type RouteError } from '@tsgi/framework';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as RouteError).code;
  }
  return undefined;
}

test('int converter: typed number, min/max/signed/fixed_digits, non-digits 404', async () => {
  const app = new App();
  app.get('/post/<int:post_id>', ({ params }) => ({ id: params.post_id, type: typeof params.post_id }));
  app.get('/page/<int(min=1, max=10):n>', ({ params }) => String(params.n));
  app.get('/t/<int(signed=True):n>', ({ params }) => String(params.n));
  app.get('/year/<int(fixed_digits=4):y>', ({ params }) => String(params.y));
  const c = app.testClient();
  assert.deepEqual((await c.get('/post/42')).json(), { id: 42, type: 'number' });
  assert.equal((await c.get('/post/abc')).status, 404);
  assert.equal((await c.get('/post/-1')).status, 404);
  assert.equal((await c.get('/post/99999999999999999999')).status, 404, 'beyond 2^53 does not match');
  assert.equal((await c.get('/page/10')).text, '10');
  assert.equal((await c.get('/page/0')).status, 404);
  assert.equal((await c.get('/page/11')).status, 404);
  assert.equal((await c.get('/t/-5')).text, '-5');
  assert.equal((await c.get('/year/2024')).text, '2024');
  assert.equal((await c.get('/year/024')).status, 404);
  assert.equal(app.urlFor('/year/<int(fixed_digits=4):y>', { y: 7 }), '/year/0007');
});

test('float, uuid, path, any and string length converters', async () => {
  const app = new App();
  app.get('/f/<float:x>', ({ params }) => ({ x: params.x }));
  app.get('/u/<uuid:id>', ({ params }) => params.id);
  app.get('/files/<path:rest>', ({ params }) => params.rest);
  app.get('/lang/<any(en, fr, "de"):lang>', ({ params }) => params.lang);
  app.get('/code/<string(length=2):cc>', ({ params }) => `len2 ${params.cc}`);
  app.get('/name/<string(minlength=3, maxlength=5):n>', ({ params }) => params.n);
  const c = app.testClient();
  assert.deepEqual((await c.get('/f/1.5')).json(), { x: 1.5 });
  assert.equal((await c.get('/f/1')).status, 404, 'float needs a dot, as Werkzeug');
  assert.equal((await c.get('/u/0E4A7A4E-1234-4abc-8def-00000000000A')).text, '0e4a7a4e-1234-4abc-8def-00000000000a');
  assert.equal((await c.get('/u/not-a-uuid')).status, 404);
  assert.equal((await c.get('/files/a/b/c.txt')).text, 'a/b/c.txt');
  assert.equal((await c.get('/lang/fr')).text, 'fr');
  assert.equal((await c.get('/lang/de')).text, 'de');
  assert.equal((await c.get('/lang/es')).status, 404);
  assert.equal((await c.get('/code/ab')).text, 'len2 ab');
  assert.equal((await c.get('/code/abc')).status, 404);
  assert.equal((await c.get('/name/ab')).status, 404);
  assert.equal((await c.get('/name/abcd')).text, 'abcd');
  assert.equal((await c.get('/name/abcdef')).status, 404);
});

test('user-registered converter: regex, toPython, toUrl and ValidationError fall through to the next rule', async () => {
  class HexConverter extends BaseConverter {
    override regex = '[0-9a-fA-F]+';
    override toPython(value: string): number {
      const n = parseInt(value, 16);
      if (n > 0xffff) throw new ValidationError();
      return n;
    }
    override toUrl(value: unknown): string {
      return Number(value).toString(16);
    }
  }
  const app = new App();
  app.registerConverter('hex', HexConverter);
  app.get('/c/<hex:color>', function color({ params }) {
    return { color: params.color };
  });
  app.get('/c/<other>', ({ params }) => `other ${String(params.other)}`);
  const c = app.testClient();
  assert.deepEqual((await c.get('/c/ff')).json(), { color: 255 });
  assert.equal((await c.get('/c/fffff')).text, 'other fffff', 'ValidationError tries the next rule');
  assert.equal(app.urlFor('color', { color: 4095 }), '/c/fff');
});

test('ordering as Werkzeug: static before converters, int before string before path, regardless of registration order', async () => {
  const app = new App();
  app.get('/x/<path:p>', () => 'path');
  app.get('/x/<name>', () => 'string');
  app.get('/x/<int:id>', () => 'int');
  app.get('/x/new', () => 'static');
  app.get('/x/<name>/edit', () => 'string-edit');
  app.get('/x/v<int:n>', () => 'prefixed-int');
  const c = app.testClient();
  assert.equal((await c.get('/x/new')).text, 'static');
  assert.equal((await c.get('/x/12')).text, 'int');
  assert.equal((await c.get('/x/v12')).text, 'prefixed-int');
  assert.equal((await c.get('/x/bob')).text, 'string');
  assert.equal((await c.get('/x/bob/edit')).text, 'string-edit');
  assert.equal((await c.get('/x/bob/other')).text, 'path', 'backtracks to path when a deeper part fails');
});

test('malformed rules fail at registration with FW_ERR_ROUTE_* codes', () => {
  const app = new App();
  const noop = () => '';
  assert.equal(code(() => app.get('no-slash', noop)), 'FW_ERR_ROUTE_SYNTAX');
  assert.equal(code(() => app.get('/a/<int:id', noop)), 'FW_ERR_ROUTE_SYNTAX');
  assert.equal(code(() => app.get('/a/<1bad>', noop)), 'FW_ERR_ROUTE_SYNTAX');
  assert.equal(code(() => app.get('/a/<>', noop)), 'FW_ERR_ROUTE_SYNTAX');
  assert.equal(code(() => app.get('/a/<nope:id>', noop)), 'FW_ERR_ROUTE_CONVERTER_UNKNOWN');
  assert.equal(code(() => app.get('/a/<int(min=x):id>', noop)), 'FW_ERR_ROUTE_CONVERTER_ARGS');
  assert.equal(code(() => app.get('/a/<int(bogus=1):id>', noop)), 'FW_ERR_ROUTE_CONVERTER_ARGS');
  assert.equal(code(() => app.get('/a/<int(min=5, max=1):id>', noop)), 'FW_ERR_ROUTE_CONVERTER_ARGS');
  assert.equal(code(() => app.get('/a/<any():id>', noop)), 'FW_ERR_ROUTE_CONVERTER_ARGS');
  assert.equal(code(() => app.get('/a/<id>/<id>', noop)), 'FW_ERR_ROUTE_VARIABLE_DUPLICATE');
  assert.equal(code(() => app.route('/m', noop, { methods: ['GE T'] })), 'FW_ERR_ROUTE_METHOD');
  app.get('/dup', function dup() {
    return '';
  });
  assert.equal(code(() => app.get('/dup', () => '', { endpoint: 'other' })), 'FW_ERR_ROUTE_DUPLICATE');
  assert.equal(code(() => app.get('/else', () => '', { endpoint: 'dup' })), 'FW_ERR_ROUTE_ENDPOINT_CONFLICT');
});

test('methods: 405 with Allow, automatic HEAD and OPTIONS, per-method handlers on one rule', async () => {
  const app = new App();
  app.get('/item', () => 'get');
  app.post('/item', () => 'post');
  app.route('/only-post', () => 'ok', { methods: ['POST'] });
  const c = app.testClient();
  assert.equal((await c.post('/item')).text, 'post');
  const head = await c.head('/item');
  assert.equal(head.status, 200);
  assert.equal(head.header('Content-Length'), '3', 'HEAD runs GET; the server drops the body');
  const options = await c.options('/item');
  assert.equal(options.status, 200);
  assert.deepEqual(options.header('Allow')!.split(', ').sort(), ['GET', 'HEAD', 'OPTIONS', 'POST']);
  const put = await c.put('/item');
  assert.equal(put.status, 405);
  assert.deepEqual(put.header('Allow')!.split(', ').sort(), ['GET', 'HEAD', 'OPTIONS', 'POST']);
  assert.equal((await c.get('/only-post')).status, 405);
  assert.equal((await c.get('/missing')).status, 404);
});

test('strict slashes: /hello redirects 308 to /hello/ keeping the query; /post/1/ is 404; strictSlashes:false matches both', async () => {
  const app = new App();
  app.get('/hello/', () => 'hello');
  app.get('/leaf', () => 'leaf');
  app.get('/loose/', () => 'loose', { strictSlashes: false });
  const c = app.testClient();
  const r = await c.get('/hello?a=1');
  assert.equal(r.status, 308);
  assert.equal(r.header('Location'), 'http://localhost/hello/?a=1');
  assert.equal((await c.get('/leaf/')).status, 404);
  assert.equal((await c.get('/loose')).text, 'loose');
  const mounted = await c.get('/hello', { environ: { SCRIPT_NAME: '/app' } });
  assert.equal(mounted.header('Location'), 'http://localhost/app/hello/', 'the mount point is kept');
});

test('urlFor: variables, extra values as query, escaping, defaults, unknown endpoint', () => {
  const app = new App();
  app.get('/user/<name>', function user() {
    return '';
  });
  app.get('/files/<path:p>', function files() {
    return '';
  });
  function hello(): string {
    return '';
  }
  app.get('/hello/', hello);
  app.get('/hello/<name>', hello);
  assert.equal(app.urlFor('user', { name: 'a b/c?d' }), '/user/a%20b%2Fc%3Fd');
  assert.equal(app.urlFor('user', { name: 'x', q: 'a&b=c', tag: ['1', '2'] }), '/user/x?q=a%26b%3Dc&tag=1&tag=2');
  assert.equal(app.urlFor('files', { p: 'a/b c.txt' }), '/files/a/b%20c.txt');
  assert.equal(app.urlFor('hello'), '/hello/');
  assert.equal(app.urlFor('hello', { name: 'é' }), '/hello/%C3%A9');
  assert.equal(app.urlFor('user', { name: 'x' }, { anchor: 'top', external: { scheme: 'https', host: 'example.com' } }), 'https://example.com/user/x#top');
  assert.throws(() => app.urlFor('nope'), { code: 'FW_ERR_BUILD' });
  assert.throws(() => app.urlFor('user'), { code: 'FW_ERR_BUILD' });
});

test('1,000 routes: every one matches its own handler, misses are 404', async () => {
  const app = new App();
  for (let i = 0; i < 250; i++) {
    app.get(`/static${i}/list`, () => `s${i}`);
    app.get(`/api/v1/res${i}/<int:id>`, ({ params }) => `r${i}:${params.id}`);
    app.get(`/users/<name>/item${i}`, ({ params }) => `u${i}:${params.name}`);
    app.get(`/deep/${i}/<a>/<b>/x`, ({ params }) => `d${i}:${params.a}:${params.b}`);
  }
  assert.equal(app.urlMap.rules.length, 1000);
  const c = app.testClient();
  for (const i of [0, 1, 137, 249]) {
    assert.equal((await c.get(`/static${i}/list`)).text, `s${i}`);
    assert.equal((await c.get(`/api/v1/res${i}/7`)).text, `r${i}:7`);
    assert.equal((await c.get(`/users/ann/item${i}`)).text, `u${i}:ann`);
    assert.equal((await c.get(`/deep/${i}/p/q/x`)).text, `d${i}:p:q`);
  }
  assert.equal((await c.get('/api/v1/res250/7')).status, 404);
  assert.equal((await c.get('/users/ann/item999')).status, 404);
});
