import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serve, type RunningServer } from '@tsgi/gateway';
import { basicConfig, root, spawnReady, startProxy, type Proc, type ProxyProc } from '../../proxy/test/helpers.ts';
import { bytesOf, loadCases, type SeenRequest, type WireCase } from './case-table.ts';
import { app } from './fixtures/echo-app.ts';
import { header, rawExchange, type RawReply } from '@tsgi/test-support';

/**
 * The same case table over real sockets against the three HTTP/1.1 front
 * doors: the gateway's serve() in this process, a tsgi-appserver process,
 * and a tsgi-proxy process in front of another tsgi-appserver. Each must give
 * the table's verdict: valid requests reach the app with their method, path
 * and body length; a refused head gets its status, Connection: close and
 * the close, never reaching the app (nor, through the proxy, the upstream).
 */
const cases = loadCases().filter((c) => c.parserOnly === undefined);
const dir = mkdtempSync(join(tmpdir(), 'tsgi-verdicts-'));
const hitsOf = { gateway: join(dir, 'gateway.hits'), appserver: join(dir, 'appserver.hits'), proxy: join(dir, 'upstream.hits') };
type Tier = keyof typeof hitsOf;
const TIERS: Tier[] = ['gateway', 'appserver', 'proxy'];
/** Headers timeouts are 10 s everywhere; a refusal must come long before. */
const REFUSAL_LIMIT_MS = 3000;
const EARLY_LIMIT_MS = 1000;

function startEchoAppserver(hits: string): Promise<Proc & { value: number }> {
  writeFileSync(hits, '');
  process.env.TSGI_ECHO_HITS = hits; // inherited by the child and its worker
  return spawnReady(
    ['--conditions=@tsgi/source', '--import', 'tsx', join(root, 'appserver/src/cli.ts'), '--bind', '127.0.0.1:0', '--workers', '1', '--log-level', 'warning', 'http1/test/fixtures/echo-app.ts:app'],
    (out) => {
      const m = /Ready: \d+ worker/.test(out) ? /Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(out) : null;
      return m ? Number(m[1]) : undefined;
    },
    60_000,
  );
}

function hitCount(tier: Tier): number {
  const text = readFileSync(hitsOf[tier], 'latin1');
  return text === '' ? 0 : text.split('\n').length - 1;
}

function decodedPath(raw: string): string {
  return decodeURIComponent(raw);
}

/** The verdict one tier gave, in a form the three can be compared by. */
function verdictOf(ex: RawReply, wanted: number): string {
  const ok = ex.responses.slice(0, wanted).map((r) => (r.status === 200 ? r.body.toString('utf8') : `status ${r.status}`));
  const rest = ex.responses.slice(wanted).map((r) => `status ${r.status}`);
  return JSON.stringify({ ok, rest, closed: ex.closedByServer });
}

async function run(c: WireCase, tier: Tier, port: number): Promise<{ ex: RawReply; hits: number }> {
  const before = hitCount(tier);
  const want = c.expect.requests?.length ?? 0;
  const bytes = bytesOf(c);
  let ex: RawReply;
  if (c.expect.status !== undefined) ex = await rawExchange(port, bytes, { timeoutMs: REFUSAL_LIMIT_MS });
  // Bytes that end mid-message: nothing may come back; after our FIN the server must close without an answer.
  else if (c.expect.incomplete === true) ex = await rawExchange(port, bytes, { halfClose: 200, timeoutMs: REFUSAL_LIMIT_MS });
  else ex = await rawExchange(port, bytes, { stopAfter: want, settleMs: 60, timeoutMs: REFUSAL_LIMIT_MS });
  return { ex, hits: hitCount(tier) - before };
}

function check(c: WireCase, tier: Tier, { ex, hits }: { ex: RawReply; hits: number }): void {
  const where = `${tier}: ${c.id}`;
  const wanted: SeenRequest[] = c.expect.requests ?? [];
  assert.equal(hits, wanted.length, `${where}: requests that reached the app`);
  for (const [i, w] of wanted.entries()) {
    const r = ex.responses[i];
    assert.ok(r !== undefined && r.status === 200, `${where}: response ${i} ${r === undefined ? 'missing' : r.status}`);
    const seen = JSON.parse(r.body.toString('utf8')) as SeenRequest;
    assert.deepEqual(seen, { method: w.method, path: decodedPath(w.path), query: w.query, body: w.body }, `${where}: request ${i}`);
  }
  if (c.expect.status !== undefined) {
    const refusal = ex.responses[wanted.length];
    assert.ok(refusal !== undefined, `${where}: no refusal came (${ex.closedByServer ? 'closed' : 'still open'} after ${ex.ms} ms)`);
    assert.equal(refusal.status, c.expect.status, `${where}: refusal status`);
    assert.equal(header(refusal, 'connection'), 'close', `${where}: the refusal announces the close`);
    assert.equal(ex.responses.length, wanted.length + 1, `${where}: nothing after the refusal`);
    assert.ok(ex.closedByServer, `${where}: the connection closes after the refusal`);
    if (c.early === true) assert.ok(ex.ms < EARLY_LIMIT_MS, `${where}: answered in ${ex.ms} ms, not at once`);
    if (tier === 'proxy') assert.ok(header(refusal, 'x-proxy-error') !== undefined, `${where}: refused at the edge, not by the upstream`);
  } else {
    assert.equal(ex.responses.length, wanted.length, `${where}: responses`);
    if (c.expect.incomplete === true) assert.ok(ex.closedByServer, `${where}: closes once the client is gone`);
  }
}

describe('one verdict everywhere: the case table over sockets against serve(), tsgi-appserver and tsgi-proxy', { timeout: 600_000 }, () => {
  let gateway: RunningServer;
  let appserver: Proc & { value: number };
  let upstream: Proc & { value: number };
  let proxy: ProxyProc;
  const ports = {} as Record<Tier, number>;

  before(async () => {
    [appserver, upstream] = [await startEchoAppserver(hitsOf.appserver), await startEchoAppserver(hitsOf.proxy)];
    proxy = await startProxy(basicConfig([upstream.value]));
    writeFileSync(hitsOf.gateway, '');
    process.env.TSGI_ECHO_HITS = hitsOf.gateway;
    gateway = await serve(app, { port: 0, host: '127.0.0.1', errors: { write() {}, flush() {} } });
    ports.gateway = gateway.port;
    ports.appserver = appserver.value;
    ports.proxy = proxy.port;
  });

  after(async () => {
    await gateway?.close();
    await proxy?.kill();
    await appserver?.kill();
    await upstream?.kill();
    delete process.env.TSGI_ECHO_HITS;
    rmSync(dir, { recursive: true, force: true });
  });

  for (const c of cases) {
    test(`${c.id}`, async () => {
      const results = await Promise.all(TIERS.map((tier) => run(c, tier, ports[tier])));
      const want = c.expect.requests?.length ?? 0;
      const verdicts = results.map((r) => verdictOf(r.ex, want));
      for (const [i, tier] of TIERS.entries()) {
        const result = results[i];
        assert.ok(result, `${tier}: a result`);
        check(c, tier, result);
      }
      assert.ok(verdicts.every((v) => v === verdicts[0]), `the tiers disagree: ${TIERS.map((t, i) => `${t} ${verdicts[i]}`).join(' | ')}`);
    });
  }
});
