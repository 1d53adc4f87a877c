// Broken upstreams behind tsgi-proxy: one that hangs, one that resets in the
// middle of a body, one that answers garbage. The client gets an honest
// 504/502 or a cut connection, never a truncated response passed off as whole.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { RESET_DECLARED, startBadUpstream, type BadUpstream } from '../faults/bad-upstream.ts';
import { header, rawExchange } from '../faults/raw-client.ts';
import { FaultLog } from '../faults/summary.ts';
import { proxyMissing, startTsProxy } from '../src/topology/stack.ts';
import type { Component } from '../src/topology/topology.ts';

const log = new FaultLog('upstream');
const skip = proxyMissing() ?? false;
const HEADER_TIMEOUT_MS = 1500;

describe('broken upstreams behind the proxy', { skip }, () => {
  let bad: BadUpstream | undefined;
  let proxy: Component | undefined;
  afterEach(async () => {
    await proxy?.proc.stop('SIGTERM', 5000);
    await proxy?.cleanup?.();
    await bad?.close();
    proxy = undefined;
    bad = undefined;
  });
  after(async () => {
    await log.flush();
  });

  async function start(mode: Parameters<typeof startBadUpstream>[0]): Promise<Component> {
    bad = await startBadUpstream(mode);
    proxy = await startTsProxy('proxy', {
      workers: 1,
      upstreams: [bad.port],
      upstreamYaml: `    timeouts:\n      header: ${HEADER_TIMEOUT_MS}ms\n    retries:\n      attempts: 1\n      budget: 0.2\n      minPerSecond: 1\n`,
    });
    return proxy;
  }

  test('an upstream that never answers: 504 after the header timeout, with a body that says so', { timeout: 30_000 }, async () => {
    const p = await start('hang');
    const n = 3;
    const results = await Promise.all(
      Array.from({ length: n }, () => rawExchange(p.port, 'GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { timeoutMs: 15_000, responses: 1 })),
    );
    const statuses = results.map((r) => r.responses[0]?.status ?? 0);
    const bodies = results.map((r) => r.responses[0]?.body.toString('utf8') ?? '');
    const pass = statuses.every((s) => s === 504) && bodies.every((b) => b.length > 0);
    log.add({ area: 'upstream', case: 'upstream hangs', expected: `504 after ${HEADER_TIMEOUT_MS} ms with a reason`, seen: `statuses ${statuses.join(',')}; body "${(bodies[0] ?? '').trim().slice(0, 60)}"; upstream got ${bad?.requests}`,
      pass, sent: n, failed: statuses.filter((s) => s !== 504).length, retried: Math.max(0, (bad?.requests ?? 0) - n) });
    assert.deepEqual(statuses, Array(n).fill(504));
    assert.ok(bodies.every((b) => b.length > 0), 'the 504 has a body that says which timeout');
  });

  test('an upstream that resets mid-body: the client sees the connection cut, not a complete 200', { timeout: 30_000 }, async () => {
    const p = await start('reset-mid-body');
    const r = await rawExchange(p.port, 'GET /big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { timeoutMs: 10_000 });
    const res = r.responses[0];
    const got = res?.body.length ?? 0;
    const declared = res ? Number(header(res, 'content-length') ?? NaN) : NaN;
    // Either the head never came (the proxy refused before bytes: 502) or it came and the body was cut with the connection.
    const cut = res === undefined ? r.closed : res.status === 502 || (res.truncated && r.closed && got < RESET_DECLARED);
    log.add({ area: 'upstream', case: 'upstream resets mid-body', expected: 'connection cut (truncated) or 502, never a whole 200',
      seen: `${res ? `${res.status}, ${got}/${Number.isNaN(declared) ? 'chunked' : declared} bytes, truncated ${res.truncated}` : 'no response'}; closed ${r.closed}`,
      pass: cut, sent: 1, failed: cut ? 0 : 1, retried: Math.max(0, (bad?.requests ?? 1) - 1) });
    assert.ok(cut, `client saw a complete-looking response: ${JSON.stringify({ status: res?.status, got, truncated: res?.truncated, closed: r.closed })}`);
  });

  test('an upstream that answers garbage: 502, and the proxy keeps serving', { timeout: 30_000 }, async () => {
    const p = await start('malformed');
    const n = 5;
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await rawExchange(p.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { timeoutMs: 10_000, responses: 1 });
      statuses.push(r.responses[0]?.status ?? 0);
    }
    const pass = statuses.every((s) => s === 502);
    log.add({ area: 'upstream', case: 'upstream sends a malformed response', expected: '502 every time', seen: `statuses ${statuses.join(',')}; upstream got ${bad?.requests}`,
      pass, sent: n, failed: statuses.filter((s) => s !== 502).length, retried: Math.max(0, (bad?.requests ?? 0) - n) });
    assert.deepEqual(statuses, Array(n).fill(502));
  });

  test('an upstream that closes before answering: 502 (after at most the configured retries)', { timeout: 30_000 }, async () => {
    const p = await start('close-before-response');
    const r = await rawExchange(p.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { timeoutMs: 10_000, responses: 1 });
    const status = r.responses[0]?.status ?? 0;
    const attempts = bad?.requests ?? 0;
    const pass = status === 502 && attempts <= 2;
    log.add({ area: 'upstream', case: 'upstream closes before the response', expected: '502; at most 1 retry', seen: `status ${status}; upstream attempts ${attempts}`,
      pass, sent: 1, failed: status === 502 ? 0 : 1, retried: Math.max(0, attempts - 1) });
    assert.equal(status, 502);
    assert.ok(attempts <= 2, `no retry storm: ${attempts} upstream attempts`);
  });
});
