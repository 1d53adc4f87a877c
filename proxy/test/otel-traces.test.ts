import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startOtlpReceiver } from '@tsgi/test-support';
import { basicConfig, get, root, spawnReady, startProxy, type Proc } from './helpers.js';

const TSX = ['--conditions=@tsgi/source', '--import', 'tsx'];

test('OpenTelemetry: a request through tsgi-proxy to tsgi-appserver exports two spans in one trace, the proxy\'s the parent of the appserver\'s, flushed on graceful exit', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: '' };
  const procs: Proc[] = [];
  t.after(async () => {
    for (const p of procs) await p.kill();
  });
  const app = await spawnReady(
    [...TSX, join(root, 'appserver/src/cli.ts'), '--bind', '127.0.0.1:0', '--workers', '1', '--log-level', 'warning', join(root, 'appserver/test/fixtures/route-tsgi-app.mjs') + ':app'],
    (out) => {
      const m = /Ready: \d+ worker/.test(out) ? /Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(out) : null;
      return m ? Number(m[1]) : undefined;
    },
    60_000,
    env,
  );
  procs.push(app);
  const proxy = await startProxy(basicConfig([app.value]), [], env);
  procs.push(proxy);

  assert.equal((await get(proxy.port, '/post/7')).status, 200);
  // A client that is itself traced (sampled): the proxy's span is its child.
  const clientSpan = '00f067aa0ba902b7';
  const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  assert.equal((await get(proxy.port, '/post/8', { traceparent: `00-${clientTrace}-${clientSpan}-01` })).status, 200);
  // Nothing is sent yet (batches go every 5 s): SIGTERM drains both tiers, which send their spans before exiting.
  assert.equal(await proxy.kill('SIGTERM'), 0);
  await app.kill('SIGTERM');

  const spans = receiver.spans;
  assert.equal(spans.length, 4, JSON.stringify(spans, null, 1));
  const proxySpans = spans.filter((s) => s.service === 'tsgi-proxy');
  const appSpans = spans.filter((s) => s.service === 'tsgi-appserver');
  assert.equal(proxySpans.length, 2);
  assert.equal(appSpans.length, 2);

  const [first, second] = proxySpans.sort((a, b) => String(a.attributes['url.path']).localeCompare(String(b.attributes['url.path'])));
  assert.ok(first && second);
  assert.equal(first.parentSpanId ?? '', '', 'the proxy started the first trace');
  assert.equal(second.traceId, clientTrace);
  assert.equal(second.parentSpanId, clientSpan);
  for (const p of [first, second]) {
    const child = appSpans.find((s) => s.traceId === p.traceId);
    assert.ok(child, `an appserver span in trace ${p.traceId}`);
    assert.equal(child.parentSpanId, p.spanId, 'the appserver span is the child of the proxy span');
    assert.equal(p.kind, 2, 'SERVER');
    assert.equal(child.kind, 2, 'SERVER');
    assert.equal(p.name, 'GET');
    assert.equal(p.attributes['http.request.method'], 'GET');
    assert.equal(p.attributes['http.response.status_code'], 200);
    assert.equal(p.attributes['tsgi.upstream.group'], 'app');
    assert.equal(p.attributes['tsgi.upstream.endpoint'], `127.0.0.1:${app.value}`);
    assert.equal(p.attributes['http.request.resend_count'], 0);
    assert.equal(child.name, 'GET /post/<int:post_id>');
    assert.equal(child.attributes['http.route'], '/post/<int:post_id>');
    assert.equal(child.attributes['http.response.status_code'], 200);
  }
});

test('a bad OTEL_TRACES_SAMPLER is one line naming it and exit 2 on both tiers; without an OTLP endpoint the OTEL_* variables are not read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-otel-'));
  try {
    const config = join(dir, 'proxy.yaml');
    writeFileSync(config, basicConfig([9]));
    const bad = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_TRACES_SAMPLER: 'sometimes' };
    const app = join(root, 'appserver/test/fixtures/route-tsgi-app.mjs') + ':app';
    for (const args of [[join(root, 'proxy/src/process/cli.ts'), '--config', config], [join(root, 'appserver/src/cli.ts'), '--check-config', app]]) {
      const r = spawnSync(process.execPath, [...TSX, ...args], { cwd: root, env: { ...process.env, ...bad }, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 2, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^config: OTEL_TRACES_SAMPLER must be one of always_on, .*got "sometimes"/);
    }
    const off = spawnSync(process.execPath, [...TSX, join(root, 'appserver/src/cli.ts'), '--check-config', app], { cwd: root, env: { ...process.env, OTEL_TRACES_SAMPLER: 'sometimes' }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(off.status, 0, off.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
