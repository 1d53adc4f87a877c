// Process faults under load: SIGKILL of app workers and of a whole
// appserver, HUP reloads of both tiers, SIGTERM drain of the proxy.
// Every test reports requests sent, failed and retried.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, describe, test } from 'node:test';
import { startLoop, type LoopCounts } from '../faults/load-loop.ts';
import { goodRequest, rawExchange } from '../faults/raw-client.ts';
import { appAt, stackMissing, startFaultStack, waitForWorkers, workerPids, type FaultStack } from '../faults/stack.ts';
import { FaultLog } from '../faults/summary.ts';
import { canConnect, type ManagedProcess } from '../src/managed-process.ts';
import { scrape, sumMatching } from '../src/metrics-scrape.ts';

const log = new FaultLog('process');
const skip = stackMissing(false) ?? false;
const proxySkip = stackMissing(true) ?? false;
// Time is the bound that matters (the fault fires a third of the way in); the count cap is a safety net.
const LOAD = { concurrency: 8, maxRequests: 1_000_000, maxMs: 6000 };
let stack: FaultStack | undefined;

async function proxyRetries(s: FaultStack): Promise<number> {
  const admin = s.proxy?.ports?.admin;
  return admin ? sumMatching(await scrape(admin), /retr/i) : 0;
}

function describeCounts(c: LoopCounts): string {
  const errs = Object.entries(c.errors).map(([k, v]) => `${k}x${v}`).join(' ');
  const slowest = Math.max(0, ...c.latenciesMs);
  return `sent ${c.sent}, failed ${c.failed}${errs ? ` (${errs})` : ''}, statuses ${JSON.stringify(c.statuses)}, slowest ${slowest.toFixed(0)} ms`;
}

/** Runs the bounded loop against `port`, fires `fault` a third of the way in, returns the counts. */
async function underLoad(port: number, fault: () => Promise<string>, path = '/', concurrency = LOAD.concurrency): Promise<{ counts: LoopCounts; what: string }> {
  const loop = startLoop({ port, path, ...LOAD, concurrency });
  await delay(LOAD.maxMs / 3);
  const what = await fault();
  return { counts: await loop.done, what };
}

describe('process faults under load', { skip }, () => {
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });
  after(async () => {
    await log.flush();
  });

  test('SIGKILL of one app worker, load straight to the appserver: replaced; only its in-flight requests may fail', { timeout: 60_000 }, async () => {
    stack = await startFaultStack({ appservers: 1, workers: 2, proxy: false });
    const app = appAt(stack, 0);
    const before = await waitForWorkers(app, 2);
    const [victim] = before;
    assert.ok(victim !== undefined, 'the appserver has workers');
    const { counts, what } = await underLoad(app.port, async () => {
      process.kill(victim, 'SIGKILL');
      return `killed worker ${victim}`;
    });
    const afterPids = await waitForWorkers(app, 2);
    const replaced = afterPids.length === 2 && !afterPids.includes(victim);
    // Only requests in flight on the killed worker may fail: at most one per client connection.
    const pass = replaced && counts.failed <= LOAD.concurrency && (await goodRequest(app.port)) === 200;
    log.add({ area: 'faults', case: 'SIGKILL app worker (direct)', expected: `replaced; failed <= ${LOAD.concurrency} (in flight on it)`,
      seen: `${what}; workers ${afterPids.join(',')}; ${describeCounts(counts)}`, pass, sent: counts.sent, failed: counts.failed, retried: counts.retried });
    assert.ok(replaced, `worker not replaced: ${before} -> ${afterPids}`);
    assert.ok(counts.failed <= LOAD.concurrency, describeCounts(counts));
  });

  test('HUP of the appserver under load (direct): zero failed requests, every worker pid new', { timeout: 60_000 }, async () => {
    stack = await startFaultStack({ appservers: 1, workers: 2, proxy: false });
    const app = appAt(stack, 0);
    const before = await waitForWorkers(app, 2);
    const { counts, what } = await underLoad(app.port, async () => {
      app.proc.signal('SIGHUP');
      return 'SIGHUP appserver';
    });
    let afterPids = workerPids(app);
    const deadline = Date.now() + 15_000;
    while ((afterPids.length < 2 || afterPids.some((p) => before.includes(p))) && Date.now() < deadline) {
      await delay(100);
      afterPids = workerPids(app);
    }
    const allNew = afterPids.length >= 2 && afterPids.every((p) => !before.includes(p));
    const pass = counts.failed === 0 && allNew;
    log.add({ area: 'faults', case: 'HUP appserver under load (direct)', expected: 'failed 0; all worker pids new',
      seen: `${what}; ${before.join(',')} -> ${afterPids.join(',')}; ${describeCounts(counts)}`, pass, sent: counts.sent, failed: counts.failed, retried: counts.retried });
    assert.equal(counts.failed, 0, describeCounts(counts));
    assert.ok(allNew, `workers ${before} -> ${afterPids}`);
  });

  const viaProxy = (
    name: string,
    expected: string,
    run: (s: FaultStack) => Promise<{ counts: LoopCounts; what: string; extra?: boolean }>,
  ): void => {
    test(`${name}: zero failed GETs through the proxy`, { skip: proxySkip, timeout: 90_000 }, async () => {
      stack = await startFaultStack({
        appservers: 2,
        workers: 2,
        proxy: true,
        upstreamYaml: '    retries:\n      attempts: 2\n      budget: 0.5\n    passive:\n      maxFails: 1\n      ejectBase: 2s\n',
      });
      const r0 = await proxyRetries(stack);
      const { counts, what, extra } = await run(stack);
      const retried = (await proxyRetries(stack)) - r0 + counts.retried;
      const pass = counts.failed === 0 && extra !== false;
      log.add({ area: 'faults', case: name, expected, seen: `${what}; ${describeCounts(counts)}; proxy+client retries ${retried}`, pass,
        sent: counts.sent, failed: counts.failed, retried });
      assert.equal(counts.failed, 0, describeCounts(counts));
      assert.notEqual(extra, false, what);
    });
  };

  viaProxy('SIGKILL of one app worker', 'failed 0 (retried on the other endpoint)', async (s) => {
    const [pid] = await waitForWorkers(appAt(s, 0), 2);
    assert.ok(pid !== undefined, 'app-a has workers');
    return underLoad(s.proxy!.port, async () => {
      process.kill(pid, 'SIGKILL');
      return `killed worker ${pid} of app-a`;
    });
  });

  viaProxy('SIGKILL of a whole appserver (master and workers)', 'failed 0; the other appserver serves', async (s) => {
    const r = await underLoad(s.proxy!.port, async () => {
      appAt(s, 1).proc.killTree('SIGKILL');
      return `killed app-b (${appAt(s, 1).proc.pid}) and its workers`;
    });
    return { ...r, extra: (await goodRequest(s.proxy!.port)) === 200 };
  });

  // Two faults in a row: the endpoint that lost one worker must stay in rotation
  // (its other worker is healthy), so that when the other appserver dies a healthy endpoint remains.
  viaProxy('SIGKILL of a worker of app-a, then of the whole app-b', 'failed 0: app-a stays in rotation', async (s) => {
    const [pid] = await waitForWorkers(appAt(s, 0), 2);
    assert.ok(pid !== undefined, 'app-a has workers');
    // Many connections, so several requests are in flight on the killed worker (each fails once at the proxy).
    const first = await underLoad(s.proxy!.port, async () => {
      process.kill(pid, 'SIGKILL');
      return `killed worker ${pid} of app-a`;
    }, '/', 32);
    await waitForWorkers(appAt(s, 0), 2);
    const second = await underLoad(s.proxy!.port, async () => {
      appAt(s, 1).proc.killTree('SIGKILL');
      return `killed app-b (${appAt(s, 1).proc.pid})`;
    });
    const counts: LoopCounts = {
      sent: first.counts.sent + second.counts.sent,
      ok: first.counts.ok + second.counts.ok,
      failed: first.counts.failed + second.counts.failed,
      retried: first.counts.retried + second.counts.retried,
      statuses: { ...first.counts.statuses },
      errors: { ...first.counts.errors, ...second.counts.errors },
      latenciesMs: [...first.counts.latenciesMs, ...second.counts.latenciesMs],
    };
    for (const [k, v] of Object.entries(second.counts.statuses)) counts.statuses[k] = (counts.statuses[k] ?? 0) + v;
    return { counts, what: `${first.what}, then ${second.what} (second stage failed ${second.counts.failed})` };
  });

  viaProxy('HUP of an appserver', 'failed 0', async (s) =>
    underLoad(s.proxy!.port, async () => {
      appAt(s, 0).proc.signal('SIGHUP');
      return 'SIGHUP app-a';
    }),
  );

  viaProxy('HUP of the proxy', 'failed 0', async (s) =>
    underLoad(s.proxy!.port, async () => {
      s.proxy!.proc.signal('SIGHUP');
      return 'SIGHUP proxy';
    }),
  );

  test('SIGTERM drain of the proxy: in-flight requests complete, then new connections are refused, exit 0', { skip: proxySkip, timeout: 60_000 }, async () => {
    stack = await startFaultStack({ appservers: 1, workers: 2, proxy: true });
    const proxy = stack.proxy!;
    const inflight = Array.from({ length: 4 }, () =>
      rawExchange(proxy.port, 'GET /__faults/sleep?ms=1500 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { timeoutMs: 15_000, responses: 1 }),
    );
    // Let the requests reach the app before the signal.
    const deadline = Date.now() + 5000;
    while (stack.seenWith('/__faults/sleep').length < 4 && Date.now() < deadline) await delay(20);
    proxy.proc.signal('SIGTERM');
    const results = await Promise.all(inflight);
    const statuses = results.map((r) => r.responses[0]?.status ?? 0);
    const exit = await Promise.race([(proxy.proc as ManagedProcess).exited, delay(15_000).then(() => ({ code: -1 }))]);
    const refused = !(await canConnect(proxy.port));
    const completed = statuses.filter((s) => s === 200).length;
    const pass = completed === 4 && exit.code === 0 && refused;
    log.add({ area: 'faults', case: 'SIGTERM drain of the proxy', expected: '4 in-flight 200; exit 0; then refused',
      seen: `statuses ${statuses.join(',')}; exit ${exit.code}; refused ${refused}`, pass, sent: 4, failed: 4 - completed, retried: 0 });
    assert.deepEqual(statuses, [200, 200, 200, 200]);
    assert.equal(exit.code, 0);
    assert.ok(refused, 'the proxy still accepts connections after draining');
  });
});
