import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkMetrics, hasPromtool } from '@tsgi/test-support';
import { FIXTURES, get, metricValue, startAppserver, until } from './helpers.js';

/** The distinct `route` label values of tsgi_http_requests_total. */
function routesOf(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^tsgi_http_requests_total\{[^}]*route="([^"]*)"[^}]*\} /gm)) out.add(m[1]!);
  return out;
}

test('a TSGI app that sets tsgi.route gets one route label per rule, "" for unmatched, <other> past the cap of 100; promtool accepts it', async (t) => {
  const s = await startAppserver(['-w', '1', join(FIXTURES, 'route-tsgi-app.mjs') + ':app']);
  t.after(() => s.stop());
  for (const id of [1, 2, 3]) assert.equal((await get(`${s.url}post/${id}`)).status, 200);
  assert.equal((await get(`${s.url}nowhere`)).status, 404);
  for (let i = 0; i < 120; i++) await get(`${s.url}raw/${i}`);
  let text = '';
  await until(async () => {
    text = (await get(s.metricsUrl!)).body;
    return metricValue(text, 'tsgi_http_requests_total', { route: '<other>' }) === 21;
  }, 15_000, 'the overflow route counted');
  assert.equal(metricValue(text, 'tsgi_http_requests_total', { route: '/post/<int:post_id>', status: '200' }), 3);
  assert.equal(metricValue(text, 'tsgi_http_request_duration_seconds_count', { route: '/post/<int:post_id>' }), 3);
  assert.equal(metricValue(text, 'tsgi_http_requests_total', { route: '', status: '404' }), 1);
  // 1 rule + "" + 99 raw paths admitted before the cap + <other>.
  assert.equal(routesOf(text).size, 102, [...routesOf(text)].join(' '));
  if (!hasPromtool()) {
    t.diagnostic('promtool is not installed (Debian package prometheus; .ci/run installs it): promtool step not run');
    return;
  }
  const r = checkMetrics(text);
  assert.ok(r.ok, `promtool: ${r.output}`);
});

test('an Express app gets its matched route (mount path included) without code; a handler can name its route with req["tsgi.route"]', async (t) => {
  const s = await startAppserver(['-w', '1', join(FIXTURES, 'route-express-app.mjs') + ':app']);
  t.after(() => s.stop());
  for (const id of [7, 8]) assert.equal((await get(`${s.url}api/post/${id}`)).status, 200);
  assert.equal((await get(`${s.url}files/a/b`)).status, 200);
  assert.equal((await get(`${s.url}missing`)).status, 404);
  let text = '';
  await until(async () => {
    text = (await get(s.metricsUrl!)).body;
    return metricValue(text, 'tsgi_http_requests_total', { status: '404' }) === 1;
  }, 15_000, 'the 404 counted');
  assert.equal(metricValue(text, 'tsgi_http_requests_total', { route: '/api/post/:id', status: '200' }), 2);
  assert.equal(metricValue(text, 'tsgi_http_requests_total', { route: '/files/*', status: '200' }), 1);
  assert.equal(metricValue(text, 'tsgi_http_requests_total', { route: '', status: '404' }), 1);
});
