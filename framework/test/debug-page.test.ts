// The debug error page: on only when asked for, everything from the request
// and the error HTML-escaped, credentials never shown in clear.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App } from '@tsgi/framework';

function crashingApp(options: { debug?: boolean } = {}): App {
  const app = new App(options);
  app.get('/boom/<path:rest>', () => {
    throw new Error('kaboom <script>alert("message")</script>');
  });
  return app;
}

const HEADERS = {
  Cookie: 'session=s3cr3t-cookie-value; theme=dark',
  Authorization: 'Bearer s3cr3t-bearer-token',
  'X-Api-Key': 's3cr3t-api-key',
  'User-Agent': 'debug-test <b>agent</b>',
};

test('the debug page shows the request and the stack, escaping <script> from the path and from the error', async () => {
  const res = await crashingApp({ debug: true }).testClient().get('/boom/<script>alert("path")</script>', { headers: HEADERS, query: 'q=<i>' });
  assert.equal(res.status, 500);
  assert.match(res.header('content-type') ?? '', /^text\/html/);
  const page = res.text;
  assert.doesNotMatch(page, /<script>/i, 'no live script element');
  assert.match(page, /&lt;script&gt;alert\(&#34;path&#34;\)&lt;\/script&gt;/, 'the path, escaped');
  assert.match(page, /kaboom &lt;script&gt;alert\(&#34;message&#34;\)&lt;\/script&gt;/, 'the message, escaped');
  assert.match(page, /q=&lt;i&gt;/, 'the query, escaped');
  assert.match(page, /<th>Method<\/th><td>GET<\/td>/);
  assert.match(page, /debug-test &lt;b&gt;agent&lt;\/b&gt;/, 'other headers, escaped');
  assert.match(page, /debug-page\.test\.ts/, 'the stack names the file that threw');
  for (const secret of ['s3cr3t-cookie-value', 's3cr3t-bearer-token', 's3cr3t-api-key']) assert.ok(!page.includes(secret), `${secret} is not shown`);
  assert.match(page, /\[redacted: 2 cookie\(s\): session, theme\]/, 'cookie names only');
  assert.match(page, /Bearer \[redacted\]/, 'the scheme only');
});

test('without debug (the default, TSGI_DEBUG unset) a crash is the generic 500 page', async () => {
  const saved = process.env.TSGI_DEBUG;
  delete process.env.TSGI_DEBUG;
  try {
    const res = await crashingApp().testClient().get('/boom/x', { headers: HEADERS });
    assert.equal(res.status, 500);
    assert.doesNotMatch(res.text, /kaboom|Traceback|debug-page\.test/);
    assert.equal(crashingApp().config.debug, false);
  } finally {
    if (saved !== undefined) process.env.TSGI_DEBUG = saved;
  }
});

test('TSGI_DEBUG=1 (what tsgi run --debug sets) turns debug on for an app that leaves it out; debug: false still wins', () => {
  const saved = process.env.TSGI_DEBUG;
  process.env.TSGI_DEBUG = '1';
  try {
    assert.equal(crashingApp().config.debug, true);
    assert.equal(crashingApp({ debug: false }).config.debug, false);
  } finally {
    if (saved === undefined) delete process.env.TSGI_DEBUG;
    else process.env.TSGI_DEBUG = saved;
  }
});
