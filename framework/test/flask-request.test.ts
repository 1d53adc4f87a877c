import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, Response, secureFilename } from '@tsgi/framework';

/** Request behaviours of Flask's test_basic.py / test_reqctx.py and Werkzeug's request wrappers. */

test('request.values: query then form (CombinedMultiDict([args, form])); GET uses the query only; getRequired() is a 400 for a missing key (test_trap_bad_request_key_error)', async () => {
  const app = new App();
  app.route('/v', async function v({ request }) { return { v: (await request.values()).getAll('v') }; }, { methods: ['GET', 'POST'] });
  app.post('/need', async function need({ request }) { return (await request.form()).getRequired('needed'); });
  app.get('/arg', function arg({ request }) { return request.args.getRequired('q'); });
  const client = app.testClient();
  assert.deepEqual((await client.post('/v?v=q', { form: { v: 'f' } })).json(), { v: ['q', 'f'] });
  assert.deepEqual((await client.get('/v?v=q')).json(), { v: ['q'] });
  const missing = await client.post('/need', { form: { other: '1' } });
  assert.equal(missing.status, 400);
  assert.equal((await client.post('/need', { form: { needed: 'yes' } })).text, 'yes');
  assert.equal((await client.get('/arg')).status, 400);
  assert.equal((await client.get('/arg?q=1')).text, '1');
});

test('full_path always has "?", url is an IRI with unsafe ASCII quoted (Werkzeug get_current_url)', async () => {
  const app = new App();
  app.get('/<path:p>', function show({ request }) { return `${request.fullPath} ${request.url} ${request.baseUrl}`; });
  const client = app.testClient();
  assert.equal((await client.get('/x')).text, '/x? http://localhost/x http://localhost/x');
  assert.equal((await client.get('/a b/café', { environ: { QUERY_STRING: 'q=caf%C3%A9&r=a%20b' } })).text, '/a b/café?q=caf%C3%A9&r=a%20b http://localhost/a%20b/café?q=café&r=a%20b http://localhost/a%20b/café');
});

test('cookies as Werkzeug parses them: no percent-decoding, quoted values unescaped, first wins (parse_cookie)', async () => {
  const app = new App();
  app.get('/', function index({ request }) { return { ...request.cookies }; });
  const got = (await app.testClient().get('/', { headers: { Cookie: 'a=%20b; c="x\\"y\\073"; a=2; d=; e' } })).json();
  assert.deepEqual(got, { a: '%20b', c: 'x"y;', d: '', e: '' });
});

test("request.cookies.get(name, default) as Flask's (and args.get); indexing and spreading still see only the cookies", async () => {
  const app = new App();
  app.get('/', function index({ request }) {
    const { cookies } = request;
    return {
      theme: cookies.get('theme'),
      missing: cookies.get('missing'),
      fallback: cookies.get('missing', 'light'),
      empty: cookies.get('empty', 'unused'),
      indexed: cookies['theme'] ?? null,
      has: [cookies.has('theme'), cookies.has('missing')],
      named_get: cookies.get('get'),
      keys: Object.keys(cookies),
      spread: { ...cookies },
    };
  });
  const got = (await app.testClient().get('/', { headers: { Cookie: 'theme=dark; empty=; get=g' } })).json();
  assert.deepEqual(got, {
    theme: 'dark', missing: null, fallback: 'light', empty: '', indexed: 'dark', has: [true, false], named_get: 'g',
    keys: ['theme', 'empty'], spread: { theme: 'dark', empty: '' }, // a cookie named `get` is read with get('get')
  });
});

test('authorization: Basic with a colon in the password, Bearer tokens, malformed headers (request.authorization)', async () => {
  const app = new App();
  app.get('/', function index({ request }) { return JSON.stringify(request.authorization ?? null); });
  const client = app.testClient();
  const basic = `Basic ${Buffer.from('user:pa:ss').toString('base64')}`;
  assert.deepEqual(JSON.parse((await client.get('/', { headers: { Authorization: basic } })).text), { type: 'basic', username: 'user', password: 'pa:ss' });
  assert.deepEqual(JSON.parse((await client.get('/', { headers: { Authorization: 'Bearer abc.def' } })).text), { type: 'bearer', token: 'abc.def' });
  assert.equal((await client.get('/', { headers: { Authorization: 'Basic !!!' } })).text, 'null');
  assert.equal((await client.get('/')).text, 'null');
});

test('accept_mimetypes.best_match: quality, then specificity, then the order of the offers (MIMEAccept)', async () => {
  const app = new App();
  app.get('/', function index({ request }) { return request.acceptMimetypes.bestMatch(['application/json', 'text/html']) ?? 'none'; });
  const client = app.testClient();
  const pick = async (accept?: string) => (await client.get('/', accept === undefined ? {} : { headers: { Accept: accept } })).text;
  assert.equal(await pick('text/html;q=0.9, application/json'), 'application/json');
  assert.equal(await pick('text/html, application/json;q=0.5'), 'text/html');
  assert.equal(await pick('*/*'), 'application/json');
  assert.equal(await pick('text/*'), 'text/html');
  assert.equal(await pick('text/html, */*;q=0.1'), 'text/html');
  assert.equal(await pick('application/json;q=0'), 'none');
  assert.equal(await pick(), 'none', 'no Accept header: no match, as Werkzeug');
});

test('multipart filenames arrive as sent, directories included (secure them yourself)', async () => {
  const app = new App();
  app.post('/', async function upload({ request }) { return (await request.files()).get('f')![0]!.filename; });
  const boundary = 'b0undary';
  const body = `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="../etc/a b.txt"\r\nContent-Type: text/plain\r\n\r\nx\r\n--${boundary}--\r\n`;
  const answer = await app.testClient().post('/', { body, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
  assert.equal(answer.text, '../etc/a b.txt');
});

test('secureFilename as Werkzeug (test_secure_filename)', () => {
  assert.equal(secureFilename('My cool movie.mov'), 'My_cool_movie.mov');
  assert.equal(secureFilename('../../../etc/passwd'), 'etc_passwd');
  assert.equal(secureFilename('i contain cool \xfcml\xe4uts.txt'), 'i_contain_cool_umlauts.txt');
  assert.equal(secureFilename('__filename__'), 'filename');
  assert.equal(secureFilename('foo$&^*)bar'), 'foobar');
  assert.equal(secureFilename('..'), '');
});

test('cookies and sessions: max_age sets Expires too, the session cookie has no SameSite, a permanent session sends Expires only', async () => {
  const app = new App({ secretKey: 'k' });
  app.get('/c', function c() { return new Response('').setCookie('k', 'v', { maxAge: 60 }); });
  app.get('/s', function s(ctx) { ctx.session.set('a', 1); return 's'; });
  app.get('/p', function p(ctx) { ctx.session.permanent = true; ctx.session.set('a', 1); return 'p'; });
  const client = app.testClient();
  const cookie = (await client.get('/c')).header('Set-Cookie')!;
  const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)![1]!);
  assert.ok(Math.abs(expires - (Date.now() + 60_000)) < 5_000, cookie);
  assert.match(cookie, /; Max-Age=60; Path=\/$/);
  assert.match((await client.get('/s')).header('Set-Cookie')!, /^session=[^;]+; HttpOnly; Path=\/$/);
  const permanent = (await client.get('/p')).header('Set-Cookie')!;
  assert.match(permanent, /^session=[^;]+; Expires=[^;]+ GMT; HttpOnly; Path=\/$/);
  assert.doesNotMatch(permanent, /Max-Age/);
});
