import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '@tsgi/gateway';
import { staticFiles } from '@tsgi/middleware';
import { makeSite, SECRET, type SiteFixture } from './helpers/fixtures.ts';
import { bytes, rawExchange, start } from './helpers/raw-http.ts';

/**
 * Path traversal, sent as raw request targets over TCP (no client-side URL
 * normalisation). The root is `public/`; `secret.txt` sits beside it and in
 * `outside/`, reachable only by escaping. Malformed paths get 400 from the
 * middleware (or from the server's own parser); refused-but-well-formed ones
 * (dotfiles, symlinks out of the root, literal names) look missing: 404.
 */
const CASES: Array<[target: string, expected: number]> = [
  ['/static/../secret.txt', 400],
  ['/static/sub/../../secret.txt', 400],
  ['/static/%2e%2e/secret.txt', 400],
  ['/static/%2E%2E/secret.txt', 400],
  ['/static/.%2e/secret.txt', 400],
  ['/static/..%2fsecret.txt', 400],
  ['/static/..%2Fsecret.txt', 400],
  ['/static/%2e%2e%2fsecret.txt', 400],
  ['/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd', 400],
  ['/static/..%5csecret.txt', 400],
  ['/static/..%5Csecret.txt', 400],
  ['/static/..\\secret.txt', 400],
  ['/static/%5c..%5csecret.txt', 400],
  ['/static/hello.txt%00.png', 400],
  ['/static/%00/../secret.txt', 400],
  ['/static/./hello.txt', 400],
  ['/static/hello.txt/..', 400],
  ['/static/..', 400],
  ['/static/%2fetc%2fpasswd', 400],
  ['/static/%c0%ae%c0%ae/secret.txt', 400],
  ['/static/%252e%252e/secret.txt', 404],
  ['/static/..;/secret.txt', 404],
  ['/static//etc/passwd', 404],
  ['/static///secret.txt', 404],
  ['/static/.env', 404],
  ['/static/.git/config', 404],
  ['/static/...', 404],
  ['/static/link-out.txt', 404],
  ['/static/link-rel-out.txt', 404],
  ['/static/link-dir-out/secret.txt', 404],
  ['http://127.0.0.1/static/../secret.txt', 400],
];

let site: SiteFixture;
before(() => {
  site = makeSite();
});
after(() => site.cleanup());

const app: App = (_environ, startResponse) => {
  startResponse('418 I\'m a teapot', [['Content-Type', 'text/plain']]);
  return [bytes('fallthrough reached the app')];
};

describe('staticFiles: traversal over raw TCP', () => {
  for (const fallthrough of [false, true]) {
    test(`every traversal shape is refused (fallthrough: ${fallthrough})`, async (t) => {
      const s = await start(t, staticFiles(app, { root: site.root, prefix: '/static', fallthrough }));
      for (const [target, expected] of CASES) {
        const reply = await rawExchange(s.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
        assert.ok(!reply.raw.includes(SECRET), `${target} leaked the secret`);
        const r = reply.responses[0]!;
        // With fallthrough the "looks missing" cases go to the app (418 here); malformed ones never do.
        const want = fallthrough && expected === 404 ? 418 : expected;
        assert.equal(r.status, want, `${target}: got ${r.status} ${r.body.toString()}`);
      }
      // The server is still fine afterwards.
      const ok = (await rawExchange(s.port, 'GET /static/hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).responses[0]!;
      assert.equal(ok.body.toString(), 'hello world\n');
    });
  }

  test('refusals are the same for HEAD', async (t) => {
    const s = await start(t, staticFiles(app, { root: site.root, prefix: '/static', fallthrough: false }));
    for (const [target, expected] of CASES) {
      const reply = await rawExchange(s.port, `HEAD ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, { head: true });
      assert.equal(reply.responses[0]?.status, expected, target);
    }
  });
});
