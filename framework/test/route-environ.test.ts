import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, Blueprint } from '@tsgi/framework';

test("the matched rule, as written (blueprint prefix included), is in environ['tsgi.route'] for the server's metrics; absent when no rule matched", async () => {
  const app = new App();
  app.get('/post/<int:post_id>', ({ environ }) => String(environ['tsgi.route']));
  const bp = new Blueprint('admin', { urlPrefix: '/admin' });
  bp.get('/user/<name>', ({ environ }) => String(environ['tsgi.route']));
  app.registerBlueprint(bp);
  app.errorHandler(404, (_error, ctx) => [`no rule: ${String(ctx.environ['tsgi.route'])}`, 404] as const);
  const c = app.testClient();
  assert.equal((await c.get('/post/42')).text, '/post/<int:post_id>');
  assert.equal((await c.get('/admin/user/ann')).text, '/admin/user/<name>');
  const missing = await c.get('/post/abc');
  assert.equal(missing.status, 404);
  assert.equal(missing.text, 'no rule: undefined');
});
