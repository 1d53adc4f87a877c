import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, Blueprint, type HTTPException, InternalServerError, NotFound, Response, abort, type HandlerResult } from '@tsgi/framework';

/**
 * Behaviours of Flask's tests/test_user_error_handler.py, the error and hook
 * tests of test_basic.py and the teardown tests of test_reqctx.py.
 */

test('abort() with a code Werkzeug lacks is a LookupError, so a 500 (test_abort_no_app)', async () => {
  const app = new App();
  app.get('/499', function a499() { return abort(499); });
  app.get('/418', function a418() { return abort(418); });
  const client = app.testClient();
  const answer = await client.get('/499');
  assert.equal(answer.status, 500);
  assert.match(client.errors.join(''), /no exception for 499/);
  const teapot = await client.get('/418');
  assert.equal(teapot.status, 418);
  assert.match(teapot.text, /<p>This server is a teapot, not a coffee machine<\/p>/);
});

test('error pages carry Werkzeug descriptions (412, 428, 451) and 416 its Content-Range', () => {
  const page = (code: number) => {
    try {
      abort(code);
    } catch (error) {
      return (error as HTTPException).getResponse();
    }
  };
  assert.match(String(page(412)!.body), /The precondition on the request for the URL failed positive evaluation\./);
  assert.match(String(page(428)!.body), /try using &#34;If-Match&#34;/);
  assert.match(String(page(451)!.body), /Unavailable for legal reasons\./);
});

test('abort(response) inside a blueprint with a 500 handler returns the response (test_abort_with_app)', async () => {
  const app = new App();
  const bp = new Blueprint('bp');
  bp.errorHandler(500, () => ['500 handler ran', 500]);
  bp.get('/r', function r() { return abort(new Response('ready', { status: 202 })); });
  app.registerBlueprint(bp);
  const answer = await app.testClient().get('/r');
  assert.equal(answer.status, 202);
  assert.equal(answer.text, 'ready');
});

test('the 500 handler receives an InternalServerError whose cause is the original error (test_default_error_handler)', async () => {
  const app = new App();
  class Boom extends Error {}
  app.errorHandler(500, (error) => [`${error instanceof InternalServerError} ${(error.cause as Error | undefined)?.constructor.name ?? 'none'}`, 500]);
  app.get('/boom', function boom(): HandlerResult { throw new Boom('x'); });
  app.get('/abort500', function abort500() { return abort(500); });
  const client = app.testClient();
  assert.equal((await client.get('/boom')).text, 'true Boom');
  assert.equal((await client.get('/abort500')).text, 'true none', 'abort(500) itself reaches the handler, without an original error');
});

test('handlers by class pick the nearest superclass; an HTTP code handler catches subclasses (test_error_handler_subclass, test_error_handler_http_subclass)', async () => {
  const app = new App();
  class ParentError extends Error {}
  class ChildError extends ParentError {}
  class GrandChild extends ChildError {}
  class ForbiddenSubclass extends NotFound {}
  app.errorHandler(ParentError, () => 'parent');
  app.errorHandler(ChildError, () => 'child');
  app.errorHandler(404, () => ['code 404', 404]);
  app.get('/parent', function p(): HandlerResult { throw new ParentError(); });
  app.get('/grand', function g(): HandlerResult { throw new GrandChild(); });
  app.get('/sub', function s(): HandlerResult { throw new ForbiddenSubclass(); });
  const client = app.testClient();
  assert.equal((await client.get('/parent')).text, 'parent');
  assert.equal((await client.get('/grand')).text, 'child');
  assert.equal((await client.get('/sub')).text, 'code 404');
  assert.equal((await client.get('/missing')).text, 'code 404');
});

test('blueprint handlers apply to its routes only; the app handler covers the rest (test_error_handler_blueprint)', async () => {
  const app = new App();
  const bp = new Blueprint('bp', { urlPrefix: '/bp' });
  bp.errorHandler(500, () => 'bp-error');
  bp.get('/error', function error(): HandlerResult { throw new Error('x'); });
  app.errorHandler(500, () => 'app-error');
  app.get('/error', function error(): HandlerResult { throw new Error('x'); });
  app.registerBlueprint(bp);
  const client = app.testClient();
  assert.equal((await client.get('/error')).text, 'app-error');
  assert.equal((await client.get('/bp/error')).text, 'bp-error');
});

test('teardown functions run in reverse order, the blueprint\'s first, after the response (test_teardown_request_handler, test_nested_callback_order)', async () => {
  const app = new App();
  const calls: string[] = [];
  const parent = new Blueprint('parent', { urlPrefix: '/p' });
  const child = new Blueprint('child', { urlPrefix: '/c' });
  app.teardownRequest(() => void calls.push('app 1'));
  app.teardownRequest(() => void calls.push('app 2'));
  parent.teardownRequest(() => void calls.push('parent 1'));
  parent.teardownRequest(() => void calls.push('parent 2'));
  child.teardownRequest(() => void calls.push('child'));
  app.beforeRequest(() => void calls.push('before app'));
  parent.beforeRequest(() => void calls.push('before parent'));
  child.beforeRequest(() => void calls.push('before child'));
  app.afterRequest(() => void calls.push('after app'));
  parent.afterRequest(() => void calls.push('after parent'));
  child.afterRequest(() => void calls.push('after child'));
  child.get('/x', function x() { calls.push('view'); return 'x'; });
  parent.registerBlueprint(child);
  app.registerBlueprint(parent);
  assert.equal((await app.testClient().get('/p/c/x')).text, 'x');
  assert.deepEqual(calls, ['before app', 'before parent', 'before child', 'view', 'after child', 'after parent', 'after app', 'child', 'parent 2', 'parent 1', 'app 2', 'app 1']);
});

test('teardown sees the uncaught error, and undefined when a handler dealt with it (test_teardown_with_previous_exception, test_teardown_with_handled_exception)', async () => {
  const app = new App();
  const seen: unknown[] = [];
  app.teardownRequest((error) => void seen.push(error instanceof Error ? error.message : error));
  app.errorHandler(RangeError, () => 'handled');
  app.get('/uncaught', function uncaught(): HandlerResult { throw new Error('uncaught'); });
  app.get('/handled', function handled(): HandlerResult { throw new RangeError('handled'); });
  const client = app.testClient();
  await client.get('/uncaught');
  await client.get('/handled');
  assert.deepEqual(seen, ['uncaught', undefined]);
});

test('(body, headers) and (body, status, headers) tuples; headers replace what the body set (test_make_response, test_response_types)', async () => {
  const app = new App();
  app.get('/two', function two() { return ['text', { 'X-Foo': 'bar', 'Content-Type': 'text/plain' }] as const; });
  app.get('/three', function three() { return ['made', 201, [['X-A', '1'], ['X-A', '2']]] as const; });
  app.get('/mimetype', function mimetype() { return new Response('a,b', { mimetype: 'text/csv' }); });
  app.get('/png', function png() { return new Response(new Uint8Array([1]), { mimetype: 'image/png' }); });
  const client = app.testClient();
  const two = await client.get('/two');
  assert.equal(two.status, 200);
  assert.equal(two.header('Content-Type'), 'text/plain');
  assert.equal(two.header('X-Foo'), 'bar');
  const three = await client.get('/three');
  assert.equal(three.status, 201);
  assert.deepEqual(three.headerAll('X-A'), ['1', '2']);
  assert.equal((await client.get('/mimetype')).header('Content-Type'), 'text/csv; charset=utf-8');
  assert.equal((await client.get('/png')).header('Content-Type'), 'image/png');
});
