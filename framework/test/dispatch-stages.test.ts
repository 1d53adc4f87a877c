import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Environ } from '@tsgi/gateway';
import { App, BufferInputStream, Context, type HandlerResult, type HTTPException, InternalServerError, NotFound, Request, RequestRedirect, Response, abort } from '@tsgi/framework';

/**
 * Each stage of the request path is a method of App with Flask's name; each
 * is called here alone on a request context, and overridden by a subclass
 * the way Flask apps subclass `Flask`.
 */

function contextFor(app: App, path = '/', method = 'GET'): { ctx: Context; errors: string[] } {
  const errors: string[] = [];
  const environ = {
    REQUEST_METHOD: method,
    SCRIPT_NAME: '',
    PATH_INFO: path,
    QUERY_STRING: '',
    SERVER_NAME: 'localhost',
    SERVER_PORT: '80',
    SERVER_PROTOCOL: 'HTTP/1.1',
    HTTP_HOST: 'localhost',
    'tsgi.version': [1, 0],
    'tsgi.url_scheme': 'http',
    'tsgi.input': new BufferInputStream(new Uint8Array(0)),
    'tsgi.errors': { write: (message: string) => void errors.push(message), flush: () => undefined },
    'tsgi.multithread': false,
    'tsgi.multiprocess': false,
    'tsgi.run_once': false,
  } as unknown as Environ;
  const { maxContentLength, maxFormParts, maxFormMemorySize } = app.config;
  return { ctx: new Context(app, environ, new Request(environ, { maxContentLength, maxFormParts, maxFormMemorySize })), errors };
}

test('preprocessRequest runs the url value preprocessors, then the before hooks; the first answer stops the rest', async () => {
  const app = new App();
  const seen: string[] = [];
  app.urlValuePreprocessor((endpoint) => void seen.push(`values ${String(endpoint)}`));
  app.beforeRequest(() => void seen.push('first'));
  app.beforeRequest(() => 'stopped here');
  app.beforeRequest(() => void seen.push('never'));
  const { ctx } = contextFor(app);
  assert.equal(await app.preprocessRequest(ctx), 'stopped here');
  assert.deepEqual(seen, ['values undefined', 'first']);

  class Gate extends App {
    override preprocessRequest(ctx: Context) {
      return ctx.request.headers.get('X-Token') === 'open' ? super.preprocessRequest(ctx) : ['closed', 403] as const;
    }
  }
  const gated = new Gate();
  gated.get('/', function index() { return 'inside'; });
  const client = gated.testClient();
  assert.equal((await client.get('/')).status, 403);
  assert.equal((await client.get('/', { headers: { 'X-Token': 'open' } })).text, 'inside');
});

test('dispatchRequest raises the routing outcome when there is no handler, and calls the handler when there is', async () => {
  const app = new App();
  const { ctx } = contextFor(app, '/missing');
  ctx.routingError = new NotFound();
  assert.throws(() => app.dispatchRequest(ctx), NotFound);

  class Timed extends App {
    override dispatchRequest(ctx: Context) {
      const result = super.dispatchRequest(ctx);
      return [result, 200, { 'X-Endpoint': ctx.endpoint ?? '-' }] as const;
    }
  }
  const timed = new Timed();
  timed.get('/hello', function hello() { return 'hi'; });
  const client = timed.testClient();
  const answer = await client.get('/hello');
  assert.equal(answer.text, 'hi');
  assert.equal(answer.header('x-endpoint'), 'hello');
  assert.equal((await client.get('/nowhere')).status, 404, 'the 404 is raised inside dispatchRequest, before the override can add a header');
});

test('handleUserException finds the handler by class and raises again what no handler takes', async () => {
  class Quota extends Error {}
  const app = new App();
  app.errorHandler(Quota, () => ['slow down', 429]);
  const { ctx } = contextFor(app);
  assert.deepEqual(await app.handleUserException(ctx, new Quota()), ['slow down', 429]);
  const stray = new TypeError('stray');
  assert.throws(() => app.handleUserException(ctx, stray), (error) => error === stray);

  class Mapped extends App {
    override handleUserException(ctx: Context, error: unknown) {
      if (error instanceof RangeError) return [`mapped: ${error.message}`, 422] as const;
      return super.handleUserException(ctx, error);
    }
  }
  const mapped = new Mapped();
  mapped.get('/range', function range(): HandlerResult { throw new RangeError('too big'); });
  mapped.get('/type', function type(): HandlerResult { throw new TypeError('bad'); });
  const client = mapped.testClient();
  const answer = await client.get('/range');
  assert.equal(answer.status, 422);
  assert.equal(answer.text, 'mapped: too big');
  assert.equal((await client.get('/type')).status, 500, 'what the override passes on still ends in a 500');
});

test('handleHttpException answers with the code handler or the error page; a redirect goes out as it is', async () => {
  const app = new App();
  app.errorHandler(404, (error: HTTPException) => [`no such page (${error.code})`, 404]);
  const { ctx } = contextFor(app);
  assert.deepEqual(await app.handleHttpException(ctx, new NotFound()), ['no such page (404)', 404]);
  let caught: unknown;
  try {
    abort(409);
  } catch (error) {
    caught = error;
  }
  const page = await app.handleHttpException(ctx, caught as HTTPException);
  assert.ok(page instanceof Response);
  assert.equal(page.status, 409);
  const redirect = await app.handleHttpException(ctx, new RequestRedirect('http://localhost/slash/'));
  assert.ok(redirect instanceof Response);
  assert.equal(redirect.status, 308);

  class Plain extends App {
    override handleHttpException(ctx: Context, error: HTTPException) {
      return [`${error.code} ${error.name}`, error.code, { 'Content-Type': 'text/plain' }] as const;
    }
  }
  const plain = new Plain();
  plain.get('/gone', function gone() { return abort(410); });
  const answer = await plain.testClient().get('/gone');
  assert.equal(answer.status, 410);
  assert.equal(answer.text, '410 Gone');
  assert.equal(answer.header('content-type'), 'text/plain');
});

test('handleException logs the error, answers 500 through the 500 handler, and teardown gets the error', async () => {
  const app = new App();
  app.errorHandler(500, (error: HTTPException) => [`500 for ${(error.cause as Error).message}`, 500]);
  const { ctx, errors } = contextFor(app);
  const boom = new Error('boom');
  const response = await app.handleException(ctx, boom);
  assert.equal(response.status, 500);
  assert.equal(String(response.body), '500 for boom');
  assert.match(errors.join(''), /framework: error serving GET \/: Error: boom/);

  const torn: unknown[] = [];
  class Reporting extends App {
    readonly reported: unknown[] = [];
    override handleException(ctx: Context, error: unknown) {
      this.reported.push(error);
      return super.handleException(ctx, error);
    }
  }
  const reporting = new Reporting();
  reporting.teardownRequest((error) => void torn.push(error));
  const failure = new Error('handler failed');
  reporting.get('/fail', function fail(): HandlerResult { throw failure; });
  reporting.errorHandler(TypeError, () => { throw new TypeError('the handler failed too'); });
  reporting.get('/double', function double(): HandlerResult { throw new TypeError('first'); });
  const client = reporting.testClient();
  assert.equal((await client.get('/fail')).status, 500);
  const double = await client.get('/double');
  assert.equal(double.status, 500, 'an error handler that fails ends in handleException too, as in Flask');
  assert.equal(reporting.reported[0], failure);
  assert.match(String((reporting.reported[1] as Error).message), /the handler failed too/);
  assert.deepEqual(torn, reporting.reported);
});

test('finalizeRequest makes the response and processes it; from an error handler a failing process is logged, not raised', async () => {
  const app = new App();
  app.afterRequest((response) => {
    if (response.status === 500) throw new Error('after hook broke');
    response.headers.set('X-After', 'yes');
  });
  const { ctx, errors } = contextFor(app);
  const made = await app.finalizeRequest(ctx, ['made', 201]);
  assert.equal(made.status, 201);
  assert.equal(made.headers.get('X-After'), 'yes');
  assert.throws(() => app.finalizeRequest(ctx, ['failing', 500]), /after hook broke/);
  const kept = await app.finalizeRequest(ctx, new InternalServerError().getResponse(), true);
  assert.equal(kept.status, 500);
  assert.match(errors.join(''), /processing the answer to an error failed GET \/: Error: after hook broke/);

  class Stamped extends App {
    override async finalizeRequest(ctx: Context, result: HandlerResult, fromErrorHandler?: boolean) {
      const response = await super.finalizeRequest(ctx, result, fromErrorHandler);
      response.headers.set('X-Finalized', ctx.endpoint ?? 'none');
      return response;
    }
  }
  const stamped = new Stamped();
  stamped.get('/fast', function fast() { return 'a plain string'; });
  const client = stamped.testClient();
  assert.equal((await client.get('/fast')).header('x-finalized'), 'fast', 'an override is called even for answers that skip the Response object otherwise');
  assert.equal((await client.get('/missing')).header('x-finalized'), 'none');
});

test('processResponse runs after-this-request functions, then the after hooks newest first, then saves the session', async () => {
  const app = new App({ secretKey: 'stage-test' });
  const order: string[] = [];
  app.afterRequest(() => void order.push('registered first'));
  app.afterRequest(async (response) => {
    order.push('registered second');
    return new Response('replaced', { status: response.status });
  });
  const { ctx } = contextFor(app);
  ctx.afterThisRequest(() => void order.push('after this request'));
  ctx.session.set('user', 'ada');
  const response = await app.processResponse(ctx, new Response('original'));
  assert.deepEqual(order, ['after this request', 'registered second', 'registered first']);
  assert.equal(String(response.body), 'replaced');
  assert.match(response.headers.get('Set-Cookie') ?? '', /^session=/);
  assert.equal(response.headers.get('Vary'), 'Cookie');

  class Secured extends App {
    override processResponse(ctx: Context, response: Response) {
      response.headers.set('X-Frame-Options', 'DENY');
      return super.processResponse(ctx, response);
    }
  }
  const secured = new Secured();
  secured.get('/', function index() { return { plain: 'json' }; });
  const answer = await secured.testClient().get('/');
  assert.equal(answer.header('x-frame-options'), 'DENY');
  assert.deepEqual(JSON.parse(answer.text), { plain: 'json' });
});

test('doTeardownRequest runs every teardown hook newest first, logs a failing one and goes on', async () => {
  const app = new App();
  const order: string[] = [];
  app.teardownRequest(() => void order.push('first'));
  app.teardownRequest(() => { throw new Error('teardown broke'); });
  app.teardownRequest(async (error) => void order.push(`third saw ${String(error)}`));
  const { ctx, errors } = contextFor(app);
  await app.doTeardownRequest(ctx, 'the error');
  assert.deepEqual(order, ['third saw the error', 'first']);
  assert.match(errors.join(''), /Error: teardown broke/);

  const closed: string[] = [];
  class Closing extends App {
    override async doTeardownRequest(ctx: Context, error: unknown) {
      await super.doTeardownRequest(ctx, error);
      closed.push(`${ctx.request.path} ${error === undefined ? 'clean' : 'failed'}`);
    }
  }
  const closing = new Closing();
  closing.get('/ok', function ok() { return 'ok'; });
  closing.get('/bad', function bad(): HandlerResult { throw new Error('x'); });
  const client = closing.testClient();
  await client.get('/ok');
  await client.get('/bad');
  assert.deepEqual(closed, ['/ok clean', '/bad failed'], 'an override runs even when the app registered no teardown hook');
});
