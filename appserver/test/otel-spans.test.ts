import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { startOtlpReceiver } from '@tsgi/test-support';
import { FIXTURES, startAppserver } from './helpers.js';

test('an Express app under tsgi-appserver exports one span per request, child of the caller\'s traceparent, named by its matched route; sent on graceful exit', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const s = await startAppserver(['-w', '1', join(FIXTURES, 'route-express-app.mjs') + ':app'], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
  t.after(() => s.stop());
  const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parent = '00f067aa0ba902b7';
  const traced = await request(`${s.url}api/post/3`, { headers: { traceparent: `00-${trace}-${parent}-01` } });
  assert.equal(traced.statusCode, 200);
  await traced.body.text();
  const untraced = await request(`${s.url}missing`);
  assert.equal(untraced.statusCode, 404);
  await untraced.body.text();
  // Batches leave every 5 s: the graceful stop (TERM) sends what is queued before the worker exits.
  s.proc.kill('SIGTERM');
  assert.equal((await s.exited).code, 0);

  assert.equal(receiver.spans.length, 2, JSON.stringify(receiver.spans));
  const child = receiver.spans.find((sp) => sp.traceId === trace);
  assert.ok(child, 'a span in the caller\'s trace');
  assert.equal(child.parentSpanId, parent);
  assert.equal(child.service, 'tsgi-appserver');
  assert.equal(child.name, 'GET /api/post/:id');
  assert.equal(child.attributes['http.route'], '/api/post/:id');
  assert.equal(child.attributes['http.response.status_code'], 200);
  assert.equal(child.attributes['url.path'], '/api/post/3');
  const root = receiver.spans.find((sp) => sp.traceId !== trace);
  assert.ok(root);
  assert.equal(root.parentSpanId ?? '', '', 'no traceparent: a new trace');
  assert.equal(root.name, 'GET');
  assert.equal(root.attributes['http.response.status_code'], 404);
  assert.equal(root.attributes['http.route'], undefined);
});
