import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from '@tsgi/gateway';
import { App, SessionSigner } from '@tsgi/framework';

const templatesFolder = new URL('./fixtures/templates/', import.meta.url);

test('templates: autoescape (MarkupSafe-identical), inheritance, url_for with kwargs and the mount point', async () => {
  const app = new App({ templatesFolder });
  app.get('/user/<name>', function user() {
    return '';
  });
  app.get('/page', (ctx) => ctx.renderTemplate('page.html', { title: '<b>', who: `<script>"&'` }));
  const c = app.testClient();
  const page = await c.get('/page', { environ: { SCRIPT_NAME: '/site' } });
  assert.equal(
    page.text.trim(),
    '<html><title>Page &lt;b&gt;</title><body><a href="/site/user/%3Cscript%3E%22&amp;&#39;?tab=x+y">&lt;script&gt;&#34;&amp;&#39;</a></body></html>',
  );
  assert.equal(app.renderTemplateString('{{ x }}|{{ x | safe }}', { x: '<i>' }), '&lt;i&gt;|<i>');
  // Jinja's literals and how it prints them (test/flask-parity.test.ts compares more against Jinja itself).
  assert.equal(app.renderTemplateString('{{ True }}{{ False }}{{ None }}|{% if x is none %}N{% endif %}{{ "T" if True }}|{{ u }}', { x: null }), 'TrueFalseNone|NT|');
  assert.throws(() => app.renderTemplate('missing.html'), { code: 'FW_ERR_TEMPLATES' });
});

test('sessions: signed cookie round trip, tamper gives an empty session, rotation, clearing deletes the cookie', async () => {
  const app = new App({ secretKey: ['new-key', 'old-key'] });
  app.get('/inc', (ctx) => {
    const n = (ctx.session.get<number>('n') ?? 0) + 1;
    ctx.session.set('n', n);
    return String(n);
  });
  app.get('/read', (ctx) => String(ctx.session.get('n') ?? 'empty'));
  app.get('/logout', (ctx) => {
    ctx.session.clear();
    return 'bye';
  });
  const c = app.testClient();
  const first = await c.get('/inc');
  assert.match(first.header('Set-Cookie')!, /^session=[\w-]+\.[\w-]+\.[\w-]+; HttpOnly; Path=\/$/);
  assert.equal(first.header('Vary'), 'Cookie');
  assert.equal((await c.get('/inc')).text, '2');
  assert.equal((await c.get('/read')).text, '2');

  const good = c.cookies.get('session')!.value;
  const [payload, stamp, mac] = good.split('.');
  const forged = Buffer.from(JSON.stringify({ n: 1000 })).toString('base64url');
  c.setCookie('session', `${forged}.${stamp}.${mac}`);
  assert.equal((await c.get('/read')).text, 'empty', 'a changed payload is refused');
  c.setCookie('session', `${payload}.${stamp}.${mac!.slice(0, -2)}AA`);
  assert.equal((await c.get('/read')).text, 'empty', 'a changed signature is refused');
  c.setCookie('session', 'garbage');
  assert.equal((await c.get('/read')).text, 'empty');

  c.setCookie('session', new SessionSigner(['old-key']).sign({ n: 5 }));
  assert.equal((await c.get('/read')).text, '5', 'an older key still verifies');
  c.setCookie('session', new SessionSigner(['other']).sign({ n: 5 }));
  assert.equal((await c.get('/read')).text, 'empty');
  c.setCookie('session', new SessionSigner(['new-key']).sign({ n: 5 }, Date.now() - 40 * 24 * 3600 * 1000));
  assert.equal((await c.get('/read')).text, 'empty', 'older than the lifetime is refused');

  c.setCookie('session', good);
  const out = await c.get('/logout');
  assert.match(out.header('Set-Cookie')!, /^session=; Expires=Thu, 01 Jan 1970/);
  assert.equal(c.cookies.has('session'), false);
});

test('a session cookie verifies only in the exact encoding its signer wrote (no padding, no junk, no other alphabet)', async () => {
  const app = new App({ secretKey: 'k' });
  app.get('/read', (ctx) => String(ctx.session.get('n') ?? 'empty'));
  const c = app.testClient();
  const good = new SessionSigner(['k']).sign({ n: 7 });
  c.setCookie('session', good);
  assert.equal((await c.get('/read')).text, '7');
  const [payload, stamp, mac] = good.split('.') as [string, string, string];
  const standardAlphabet = Buffer.from(mac, 'base64url').toString('base64');
  const lastChar = mac.at(-1)!;
  // 43 characters carry 258 bits for a 256-bit MAC: a last character with other low bits decodes the same.
  const sameBits = 'AEIMQUYcgkosw048'.split('').find((ch) => ch !== lastChar && Buffer.from(mac.slice(0, -1) + ch, 'base64url').equals(Buffer.from(mac, 'base64url')));
  const variants: [string, string][] = [
    ['= appended', `${good}=`],
    ['!! appended', `${good}!!`],
    ['standard base64 alphabet with padding', `${payload}.${stamp}.${standardAlphabet}`],
    ['standard base64 alphabet without padding', `${payload}.${stamp}.${standardAlphabet.replace(/=+$/, '')}`],
    ['a space inside the signature', `${payload}.${stamp}.${mac.slice(0, 10)} ${mac.slice(10)}`],
  ];
  if (sameBits !== undefined) variants.push(['unused low bits set in the last character', `${payload}.${stamp}.${mac.slice(0, -1)}${sameBits}`]);
  // Without `-` or `_` in the MAC the standard alphabet spells the same text: that one is the original.
  for (const [what, cookie] of variants.filter(([, cookie]) => cookie !== good)) {
    c.setCookie('session', cookie);
    assert.equal((await c.get('/read')).text, 'empty', what);
  }
});

test('without a secretKey the session reads as empty (Flask NullSession) and a write is a 500 naming the missing key', async (t) => {
  const noSecret = new App();
  const logged: string[] = [];
  noSecret.get('/read', (ctx) => `${String(ctx.session.get('x'))} ${ctx.session.size}`);
  noSecret.get('/layout', (ctx) => ctx.renderTemplateString('[{% for m in get_flashed_messages() %}{{ m }}{% endfor %}]{{ session.user }}'));
  noSecret.get('/write', (ctx) => {
    ctx.session.set('x', 1);
    return 'written';
  });
  noSecret.get('/flash', (ctx) => {
    ctx.flash('hi');
    return 'flashed';
  });
  const running = await serve(noSecret, { port: 0, errors: { write: (line) => logged.push(line), flush: () => undefined } });
  t.after(() => running.close());
  const base = `http://127.0.0.1:${running.port}`;
  const read = await fetch(`${base}/read`, { headers: { Cookie: 'session=forged.value.sig' } });
  assert.equal(read.status, 200);
  assert.equal(await read.text(), 'undefined 0');
  assert.equal(read.headers.get('vary'), null, 'a null session is never saved: no Vary: Cookie');
  assert.equal(read.headers.get('set-cookie'), null);
  const layout = await fetch(`${base}/layout`);
  assert.equal(layout.status, 200, 'a layout calling get_flashed_messages() renders without a secret, as in Flask');
  assert.equal(await layout.text(), '[]');
  for (const path of ['/write', '/flash']) {
    const r = await fetch(`${base}/${path.slice(1)}`);
    assert.equal(r.status, 500, path);
    assert.equal(r.headers.get('set-cookie'), null, path);
  }
  assert.equal(logged.filter((line) => line.includes('FW_ERR_SESSION_NO_SECRET') || line.includes('no secretKey')).length >= 2, true, logged.join('\n'));
});

test('TC39 decorators register static methods at class definition and instance methods on first construction', async () => {
  const app = new App();
  class Views {
    prefix = 'instance';

    @app.route('/')
    static index() {
      return 'index';
    }

    @app.get('/post/<int:post_id>')
    static show({ params }: { params: { post_id: number } }) {
      return `Post ${params.post_id + 1}`;
    }

    @app.route('/both/', { methods: ['GET', 'POST'] })
    @app.route('/both/<name>', { methods: ['GET', 'POST'] })
    static both({ params }: { params: { name?: string } }) {
      return params.name ?? 'none';
    }

    @app.get('/inst')
    inst() {
      return this.prefix;
    }
  }
  assert.equal(app.urlFor('show', { post_id: 2 }), '/post/2');
  const c = app.testClient();
  assert.equal((await c.get('/')).text, 'index');
  assert.equal((await c.get('/post/41')).text, 'Post 42');
  assert.equal((await c.post('/both/x')).text, 'x');
  assert.equal((await c.get('/both/')).text, 'none');
  assert.equal((await c.get('/inst')).status, 404, 'instance routes wait for an instance');
  new Views();
  new Views();
  assert.equal((await c.get('/inst')).text, 'instance');
});
