/**
 * The behaviours compared by flask-parity.test.ts: each case is one request
 * (or a few, sharing a cookie jar) sent to Flask 3.1 and to the framework.
 * Behaviours come from werkzeug's tests/test_routing.py and Flask's
 * test_basic, test_blueprints, test_templating, test_json, test_reqctx,
 * test_helpers and test_user_error_handler, as requests and answers.
 */
export interface ParityRequest {
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface ParityCase {
  name: string;
  /** Requests sent in order with one cookie jar; the last answer is compared. */
  steps: ParityRequest[];
}

const get = (name: string, path: string, headers?: Record<string, string | string[]>): ParityCase => ({ name, steps: [{ path, headers }] });
const send = (name: string, method: string, path: string, headers?: Record<string, string>, body?: string | Buffer): ParityCase => ({ name, steps: [{ method, path, headers, body }] });
const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
const jsonType = { 'Content-Type': 'application/json' };

function multipart(filename: string): { headers: Record<string, string>; body: Buffer } {
  const boundary = 'parityboundary';
  const body = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\nfile body\r\n--${boundary}--\r\n`,
  );
  return { headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body };
}

const ABORT_CODES = [400, 401, 403, 404, 405, 406, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 402, 499];
const BUILDS = ['page-default', 'page-two', 'query-space', 'query-list', 'anchor', 'anchor-quoted', 'external', 'scheme', 'static', 'fixed', 'signed', 'path', 'blueprint', 'nested', 'lang-default', 'bp-static', 'alias'];
const RESPONSES = ['mimetype-text', 'mimetype-xml', 'mimetype-png', 'headers-tuple', 'status-tuple', 'triple', 'list', 'dict', 'unicode', 'date', 'jsonify', 'redirect', 'redirect-301', 'empty', 'bytes'];
const TEMPLATES = ['escape', 'plain', 'tojson', 'newline', 'additions', 'string', 'literals'];

export const CASES: ParityCase[] = [
  // routing: converters (test_routing.py)
  get('int converter', '/int/42'),
  get('int rejects a sign', '/int/-1'),
  get('int beyond 2^53', '/int/9007199254740993'),
  get('int rejects letters', '/int/4a'),
  get('int fixed_digits exact', '/fixed/007'),
  get('int fixed_digits too short', '/fixed/7'),
  get('int fixed_digits too long', '/fixed/0007'),
  get('int signed negative', '/signed/-5'),
  get('int signed leading zero', '/signed/05'),
  get('int signed plus sign', '/signed/+5'),
  get('int fixed_digits signed counts the sign', '/fsigned/-12'),
  get('int fixed_digits signed too long', '/fsigned/-123'),
  get('int min/max inside', '/bounded/5'),
  get('int min/max outside', '/bounded/10'),
  get('int min/max zero', '/bounded/0'),
  get('float converter', '/float/1.5'),
  get('float without fraction', '/float/2'),
  get('path converter', '/path/a/b/c'),
  get('uuid converter lower-cases', '/uuid/A0B1C2D3-0000-4000-8000-00000000000F'),
  get('uuid rejects', '/uuid/not-a-uuid'),
  get('any converter', '/any/blue'),
  get('any converter miss', '/any/green'),
  get('string length', '/len/de'),
  get('string length miss', '/len/deu'),
  // routing: slashes, defaults, redirects, methods
  get('defaults: the default value redirects to the canonical URL', '/page/1'),
  get('defaults: the canonical URL', '/page/'),
  get('defaults: another value', '/page/2'),
  get('strict slashes redirect', '/slash'),
  get('strict slashes redirect keeps the query', '/slash?x=1&y=a%20b'),
  get('no trailing slash rule with slash', '/noslash/'),
  get('strict_slashes=False without slash', '/loose'),
  get('strict_slashes=False with slash', '/loose/'),
  get('redirect_to with a variable', '/legacy/7'),
  get('redirect_to a fixed URL', '/moved'),
  get('alias redirects to the canonical rule', '/also-canonical'),
  send('405 with Allow', 'DELETE', '/methods'),
  send('POST allowed', 'POST', '/methods', form, 'a=1'),
  send('automatic OPTIONS', 'OPTIONS', '/methods'),
  send('HEAD follows GET', 'HEAD', '/int/3'),
  get('404 page', '/no/such/page'),
  // url_for (test_helpers.py TestUrlFor, test_routing.py build tests)
  ...BUILDS.map((name) => get(`url_for ${name}`, `/build/${name}`)),
  // errors (test_user_error_handler.py, test_basic.py)
  ...ABORT_CODES.map((code) => get(`abort(${code})`, `/abort/${code}`)),
  get('abort with a description (escaped)', '/abort-message'),
  get('error handler by class', '/raise/app-error'),
  get('uncaught error is a 500 page', '/raise/value-error'),
  get('blueprint 500 handler gets InternalServerError', '/eb/boom'),
  get('abort(response) in a blueprint with a 500 handler', '/eb/abort-response'),
  get('blueprint error handler by code', '/eb/forbidden'),
  get('blueprint error handler does not apply to app routes', '/abort/403'),
  // responses (test_basic.py make_response, test_json.py)
  ...RESPONSES.map((name) => get(`response ${name}`, `/resp/${name}`)),
  // request (test_reqctx.py, test_basic.py request tests)
  get('args getlist', '/req/args?a=1&a=2&b=x+y'),
  get('full_path with a query', '/req/full-path?x=1&y=%20'),
  get('full_path without a query', '/req/full-path'),
  get('url with spaces and unicode', '/req/url/a%20b/caf%C3%A9?q=caf%C3%A9&r=a%20b'),
  get('cookies parsed as Werkzeug', '/req/cookies', { Cookie: 'a=%20b; c="x\\"y\\073"; a=2; d=; e' }),
  get('a repeated header', '/req/header', { 'X-Multi': ['one', 'two'] }),
  send('values: query then form', 'POST', '/req/values?v=q1', form, 'v=f1&f=x'),
  send('missing form key is a 400', 'POST', '/req/require', form, 'other=1'),
  send('form key present', 'POST', '/req/require', form, 'needed=yes'),
  send('get_json', 'POST', '/req/json', jsonType, '{"k": [1, 2]}'),
  send('get_json on bad JSON is a 400', 'POST', '/req/json', jsonType, '{bad'),
  send('get_json without a JSON type is a 415', 'POST', '/req/json', form, '{}'),
  send('get_json(silent=True) on bad JSON', 'POST', '/req/json-silent', jsonType, '{bad'),
  get('authorization basic', '/req/auth', { Authorization: `Basic ${Buffer.from('user:pa:ss').toString('base64')}` }),
  get('authorization bearer', '/req/auth', { Authorization: 'Bearer tok123' }),
  get('authorization absent', '/req/auth'),
  get('accept: best match prefers quality', '/req/accept', { Accept: 'text/html;q=0.9, application/json' }),
  get('accept: a wildcard picks the first offer', '/req/accept', { Accept: '*/*' }),
  get('accept: html only', '/req/accept', { Accept: 'text/html' }),
  get('accept: nothing acceptable', '/req/accept', { Accept: 'image/png' }),
  { name: 'multipart filename as sent', steps: [{ method: 'POST', path: '/req/upload', ...multipart('dir/sub/a b.txt') }] },
  // cookies and sessions (test_basic.py session tests)
  get('set_cookie max_age sets Expires', '/cookie/max-age'),
  get('set_cookie attributes', '/cookie/plain'),
  get('delete_cookie', '/cookie/delete'),
  get('session cookie attributes', '/session/set'),
  { name: 'session round trip', steps: [{ path: '/session/set' }, { path: '/session/set' }] },
  { name: 'session read after write', steps: [{ path: '/session/set' }, { path: '/session/read' }] },
  get('session read without a cookie', '/session/read'),
  get('permanent session cookie', '/session/permanent'),
  { name: 'session clear deletes the cookie', steps: [{ path: '/session/set' }, { path: '/session/clear' }] },
  get('clearing an empty session sends no cookie', '/session/clear'),
  { name: 'flash then show with categories', steps: [{ path: '/flash/add' }, { path: '/flash/show' }] },
  { name: 'flashes are consumed', steps: [{ path: '/flash/add' }, { path: '/flash/show' }, { path: '/flash/plain' }] },
  get('flash redirect', '/flash/add'),
  // templates (test_templating.py)
  ...TEMPLATES.map((name) => get(`template ${name}`, `/tpl/${name}`)),
  get('blueprint template folder', '/assets/page'),
  // hooks and blueprints (test_basic.py, test_blueprints.py)
  { name: 'teardown in reverse order', steps: [{ path: '/hooks/run' }, { path: '/events' }] },
  get('before hooks of app and blueprint', '/shop/'),
  get('nested blueprint endpoint, hooks, url_for', '/parent/child/hello'),
  get('url_value_preprocessor and url_defaults', '/fr/about'),
  // static files (test_helpers.py send_file, the static route)
  get('static file', '/static/hello.txt'),
  get('static .js type', '/static/app.js'),
  get('static .json type', '/static/data.json'),
  get('static directory is 404', '/static/sub'),
  get('static directory with slash is 404', '/static/sub/'),
  get('static missing file', '/static/missing.txt'),
  get('static .. is 404', '/static/../parity_app.py'),
  get('static encoded .. is 404', '/static/%2e%2e/parity_app.py'),
  send('static POST is 405', 'POST', '/static/hello.txt'),
  send('static HEAD', 'HEAD', '/static/hello.txt'),
  get('static range', '/static/hello.txt', { Range: 'bytes=0-4' }),
  get('static suffix range', '/static/hello.txt', { Range: 'bytes=-3' }),
  get('static multi-range', '/static/hello.txt', { Range: 'bytes=0-1,3-4' }),
  get('static unsatisfiable range', '/static/hello.txt', { Range: 'bytes=100-200' }),
  get('static If-Modified-Since in the future', '/static/hello.txt', { 'If-Modified-Since': 'Fri, 01 Jan 2100 00:00:00 GMT' }),
  get('static If-Modified-Since in the past', '/static/hello.txt', { 'If-Modified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' }),
  get('static If-None-Match *', '/static/hello.txt', { 'If-None-Match': '*' }),
  get('static If-None-Match other', '/static/hello.txt', { 'If-None-Match': '"other"' }),
  get('blueprint static file', '/assets/files/site.css'),
  send('static OPTIONS', 'OPTIONS', '/static/hello.txt'),
  get('static path normalised inside the folder', '/static/sub/../hello.txt'),
  // more routing and request shapes (test_routing.py, test_basic.py)
  get('merge slashes redirect', '/int//42'),
  get('path converter keeps a trailing slash', '/path/a/b/'),
  get('path converter with encoded characters', '/path/a%20b/c%2Fd'),
  get('args with plus and encoded plus', '/req/args?a=1+2&a=1%2B2&b=%C3%A9'),
  send('form with unicode', 'POST', '/req/values', form, 'v=caf%C3%A9&f=%E2%9C%93'),
  send('get_json with unicode', 'POST', '/req/json', jsonType, '{"k": "caf\u00e9", "b": [3, {"z": 1, "a": 2}]}'),
  // hostile and odd input (a23): what Flask answers is what we answer
  get('static If-Modified-Since that is not an HTTP-date', '/static/hello.txt', { 'If-Modified-Since': '2030' }),
  send('get_json on invalid UTF-8 is a 400', 'POST', '/req/json', jsonType, Buffer.from('{"k": "\xff"}', 'latin1')),
  send('get_json with a UTF-8 BOM', 'POST', '/req/json', jsonType, Buffer.from('\xef\xbb\xbf{"k": 1}', 'latin1')),
  { name: 'multipart UTF-8 filename as browsers send it', steps: [{ method: 'POST', path: '/req/upload', ...multipart('r\u00e9sum\u00e9 \u2713.pdf') }] },
  get('request.url drops the default port of the Host', '/req/url/x', { Host: 'example.com:80' }),
  get('args keep undecodable bytes as %XX', '/req/args?a=caf%e9&a=%C3%A9%FF&a=%E2%82&a=%ED%A0%80&a=%zz%&b=%F0%9F%98%80+%f0'),
  send('form keeps undecodable bytes as %XX', 'POST', '/req/values', form, 'v=caf%E9&v=%E2%82%AC&f=%FF%FE'),
  // Flask 3.1's MAX_FORM_MEMORY_SIZE (500 000): a bigger urlencoded body or non-file field is a 413, a bigger file is not
  send('multipart with exactly MAX_FORM_PARTS (1000) parts', 'POST', '/req/values', { 'Content-Type': 'multipart/form-data; boundary=b' },
    `${Array.from({ length: 1000 }, (_, i) => `--b\r\nContent-Disposition: form-data; name="${i === 0 ? 'f' : 'v'}"\r\n\r\n${i}\r\n`).join('')}--b--\r\n`),
  send('multipart with one part over MAX_FORM_PARTS is a 413', 'POST', '/req/values', { 'Content-Type': 'multipart/form-data; boundary=b' },
    `${Array.from({ length: 1001 }, (_, i) => `--b\r\nContent-Disposition: form-data; name="v"\r\n\r\n${i}\r\n`).join('')}--b--\r\n`),
  send('urlencoded form over the form memory limit is a 413', 'POST', '/req/values', form, `v=${'x'.repeat(500_001)}`),
  send('urlencoded form at the form memory limit', 'POST', '/req/values', form, `f=${'x'.repeat(499_998)}`),
  send('multipart field at the form memory limit', 'POST', '/req/values', { 'Content-Type': 'multipart/form-data; boundary=b' },
    `--b\r\nContent-Disposition: form-data; name="f"\r\n\r\n${'x'.repeat(500_000)}\r\n--b--\r\n`),
  send('multipart field over the form memory limit is a 413', 'POST', '/req/values', { 'Content-Type': 'multipart/form-data; boundary=b' },
    `--b\r\nContent-Disposition: form-data; name="f"\r\n\r\n${'x'.repeat(500_001)}\r\n--b--\r\n`),
  { name: 'multipart file over the form memory limit is kept', steps: [{ method: 'POST', path: '/req/upload', headers: { 'Content-Type': 'multipart/form-data; boundary=b' },
    body: `--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n${'x'.repeat(600_000)}\r\n--b--\r\n` }] },
  send('HEAD on a 404', 'HEAD', '/no/such/page'),
  send('OPTIONS on a 404', 'OPTIONS', '/no/such/page'),
  send('PUT on a GET-only rule', 'PUT', '/int/3'),
  get('set_cookie with a non-ASCII value', '/cookie/unicode'),
  get('set_cookie path with ; space and non-ASCII is percent-quoted', '/cookie/odd-path'),
  get('send_file download_name with a quote', '/download?name=a%22b.txt'),
  get('send_file non-ASCII download_name with a quote and a backslash', `/download?name=${encodeURIComponent('r\u00e9sum\u00e9"; filename*=UTF-8\'\'evil.html\\.txt')}`),
  get('session with a unicode value', '/session/unicode'),
  get('abort in before_request', '/guarded/page'),
  get('url_for unicode path segment', '/build/unicode'),
  get('url_for with a query that needs quoting', '/build/query-unicode'),
];
