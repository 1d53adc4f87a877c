import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { RawConnection } from '@tsgi/test-support';
import { request } from 'undici';
import { FIXTURES, get, getFresh, loadLoop, metricValue, startAppserver, until } from './helpers.js';

const APP = join(FIXTURES, 'pid-app.mjs') + ':app';

test('a route blocking the loop past --timeout: worker killed and replaced, others keep serving', async (t) => {
  const s = await startAppserver(['-w', '2', '--timeout', '1', APP]);
  t.after(() => s.stop());
  // What the client sees: the connection is closed without a response (undici: "other side closed").
  const blocked = request(`${s.url}block?ms=20000`, { headersTimeout: 30_000 }).then(
    (r) => `status ${r.statusCode}`,
    (err: Error) => `error ${(err as NodeJS.ErrnoException).code ?? err.message}`,
  );
  await until(() => /blocked for \d+ ms while serving GET \/block\?ms=20000/.test(s.stderr()), 10_000, 'watchdog diagnostics');
  for (let i = 0; i < 5; i++) assert.equal((await getFresh(s.url)).status, 200, 'the other worker serves meanwhile');
  const outcome = await blocked;
  t.diagnostic(`blocked client saw: ${outcome}`);
  assert.match(outcome, /^error /);
  // The master's line names the request too (from the watchdog's report: the last heartbeat predates the request).
  const masterLine = s.stderr().split('\n').find((l) => l.includes('WORKER TIMEOUT'));
  assert.ok(masterLine, `no WORKER TIMEOUT line in:\n${s.stderr()}`);
  const entry = JSON.parse(masterLine) as { msg: string; inFlight: number; requests: Array<{ request: string }> };
  assert.match(entry.msg, /^WORKER TIMEOUT \(pid:\d+\) serving GET \/block\?ms=20000$/);
  assert.equal(entry.inFlight, 1);
  assert.deepEqual(entry.requests.map((r) => r.request), ['GET /block?ms=20000']);
  await until(async () => {
    const text = (await get(s.metricsUrl!)).body;
    return metricValue(text, 'tsgi_worker_restarts_total', { reason: 'timeout' }) === 1 && metricValue(text, 'tsgi_workers', { state: 'ready' }) === 2;
  }, 15_000, 'timeout counted and worker replaced');
});

test('--max-requests 50 --max-requests-jitter 10 under load: workers recycled, no failed request', async (t) => {
  const s = await startAppserver(['-w', '2', '--max-requests', '50', '--max-requests-jitter', '10', APP]);
  t.after(() => s.stop());
  const load = loadLoop(s.url, { concurrency: 6, maxRequests: 20_000, maxMs: 40_000 });
  // Retiring workers serve until their replacement is ready, so count generations, not requests.
  await until(() => load.stats.pids.size >= 4, 40_000, 'two rounds of recycled workers');
  const stats = await load.stop();
  t.diagnostic(`max-requests: ${stats.sent} requests, ${stats.failed} failed, ${stats.pids.size} worker pids seen`);
  assert.equal(stats.failed, 0, stats.errors.slice(0, 5).join('; '));
  assert.ok(stats.pids.size >= 4, `workers were recycled (${stats.pids.size} pids)`);
  // A retired worker is counted when it exits, after its drain: that may be just after the loop stopped.
  await until(
    async () => metricValue((await get(s.metricsUrl!)).body, 'tsgi_worker_restarts_total', { reason: 'max-requests' }) >= 2,
    15_000,
    'two max-requests retirements counted',
  );
});

test('slowloris: 200 connections sending headers slowly do not stop normal requests; they get dropped', async (t) => {
  const s = await startAppserver(['-w', '1', '--header-timeout', '2', APP]);
  t.after(() => s.stop());
  const url = new URL(s.url);
  const slow: Socket[] = [];
  let closedByServer = 0;
  t.after(() => {
    for (const c of slow) c.destroy();
  });
  await Promise.all(
    Array.from(
      { length: 200 },
      () =>
        new Promise<void>((resolve) => {
          const c = connect(Number(url.port), url.hostname, () => {
            c.write('GET / HTTP/1.1\r\nHost: x\r\n');
            resolve();
          });
          c.on('error', () => {});
          c.on('close', () => closedByServer++);
          slow.push(c);
        }),
    ),
  );
  const drip = setInterval(() => {
    for (const c of slow) if (!c.destroyed) c.write('X');
  }, 500);
  t.after(() => clearInterval(drip));
  for (let i = 0; i < 20; i++) assert.equal((await getFresh(s.url)).status, 200);
  await until(() => closedByServer === 200, 15_000, 'slow connections dropped after the header timeout');
});

test('slow header lines: complete lines one every 500 ms are dropped by the header timeout (408 or close); others served', async (t) => {
  const s = await startAppserver(['-w', '1', '--header-timeout', '2', APP]);
  t.after(() => s.stop());
  const url = new URL(s.url);
  const conns: Array<{ sock: Socket; got: string; closedAt?: number }> = [];
  t.after(() => {
    for (const c of conns) c.sock.destroy();
  });
  for (let i = 0; i < 20; i++) {
    const c: { sock: Socket; got: string; closedAt?: number } = { sock: connect(Number(url.port), url.hostname), got: '' };
    c.sock.on('data', (d: Buffer) => (c.got += d.toString('latin1')));
    c.sock.on('error', () => {});
    c.sock.on('close', () => (c.closedAt = Date.now()));
    c.sock.write('GET / HTTP/1.1\r\nHost: x\r\n');
    conns.push(c);
  }
  // Every line is whole and valid, so no limit and no parser error stops them: only the head's deadline does.
  let line = 0;
  const drip = setInterval(() => {
    line++;
    for (const c of conns) if (c.closedAt === undefined) c.sock.write(`X-Slow-${line}: ${line}\r\n`);
  }, 500);
  t.after(() => clearInterval(drip));
  const started = Date.now();
  for (let i = 0; i < 10; i++) assert.equal((await getFresh(s.url)).status, 200, 'others are served meanwhile');
  await until(() => conns.every((c) => c.closedAt !== undefined), 15_000, 'slow-line connections dropped');
  clearInterval(drip);
  for (const c of conns) {
    assert.ok(c.got === '' || /^HTTP\/1\.1 408 /.test(c.got), `408 or a bare close, got ${JSON.stringify(c.got.slice(0, 80))}`);
    assert.ok(!/^HTTP\/1\.1 200/.test(c.got), 'the never-finished head was not served');
  }
  t.diagnostic(`dropped after ~${Math.round((Math.max(...conns.map((c) => c.closedAt!)) - started) / 1000)} s, ${line} lines each`);
  assert.ok(line >= 3, 'several lines were sent before the drop (the timeout bounds the whole head, not the gap)');
});

test('idle keep-alive connections are closed after --keep-alive', async (t) => {
  const s = await startAppserver(['-w', '1', '--keep-alive', '1', APP]);
  t.after(() => s.stop());
  const url = new URL(s.url);
  const c = await RawConnection.open(Number(url.port), url.hostname);
  t.after(() => c.destroy());
  c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const got = (await c.readToEnd()).toString();
  assert.match(got, /^HTTP\/1\.1 200/);
});
