import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startProxy, startUpstream } from './helpers.ts';

// Clients that request a large response and never read it. The first WARM clients pay the one-off cost of moving
// the data (V8 heap growth, read buffers awaiting GC, what malloc keeps of them); what the next MORE clients add to
// the proxy's RSS is then what each stalled client holds. With Node's 64 KiB socket write queue and 64 KiB upstream
// reads (a pooled read pinning a 64 KiB slab on Node 24) this test measured 59 KiB per client; with the 16 KiB
// bounds, 12.5 KiB. nginx holds ≈ 50 KiB per stalled client (proxy/bench/slow-readers.mjs).
const WARM = 800;
const MORE = 1200;
const RESPONSE_BYTES = 16 * 1024 * 1024;
const KIB_PER_STALLED_CLIENT = 40;
const NEW_REQUESTS = 12;
/** A new request gets its response head within this long (generous: this is "answered at all", not a latency bound). */
const ANSWER_WITHIN_MS = 20_000;

/** The proxy's worker: its master's one node child (workers: 1 runs under the arbiter too; tsx adds an esbuild child). */
function workerPid(masterPid: number): number {
  const node = realpathSync(process.execPath);
  const children = readdirSync(`/proc/${masterPid}/task`)
    .flatMap((task) => readFileSync(`/proc/${masterPid}/task/${task}/children`, 'latin1').split(' ').filter(Boolean))
    .filter((pid) => readlinkSync(`/proc/${pid}/exe`) === node);
  assert.equal(children.length, 1, `expected one proxy worker under pid ${masterPid}, found ${children.length}`);
  return Number(children[0]);
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) : 0;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** Opens n clients, 100 at a time, each sending one GET for a large response and never reading. */
async function openStalled(port: number, n: number, into: Socket[]): Promise<void> {
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, () =>
      new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1');
        into.push(s);
        s.on('error', () => {});
        s.on('connect', () => {
          s.write(`GET /download?bytes=${RESPONSE_BYTES} HTTP/1.1\r\nHost: x\r\n\r\n`);
          s.pause();
          resolve();
        });
      }),
    );
    await Promise.all(batch);
  }
}

/** Waits until the proxy's CPU time stops moving (at most 3 ticks in each of two seconds in a row): every transfer is stuck. */
async function untilStalled(pid: number, maxSeconds = 120): Promise<void> {
  let last = cpuTicks(pid);
  for (let i = 0, quiet = 0; quiet < 2; i++) {
    assert.ok(i < maxSeconds, `proxy still busy after ${maxSeconds} s`);
    await delay(1000);
    const now = cpuTicks(pid);
    quiet = now - last <= 3 ? quiet + 1 : 0;
    last = now;
  }
}

/** One GET on a fresh connection: true once its response head arrives within ANSWER_WITHIN_MS. */
function answered(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const giveUp = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, ANSWER_WITHIN_MS);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        clearTimeout(giveUp);
        s.destroy();
        resolve(got.startsWith('HTTP/1.1 200 '));
      }
    });
    s.on('error', () => {
      clearTimeout(giveUp);
      resolve(false);
    });
    s.on('connect', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  });
}

async function answeredCount(port: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < NEW_REQUESTS; i += 4) ok += (await Promise.all([answered(port), answered(port), answered(port), answered(port)])).filter(Boolean).length;
  return ok;
}

test(`slow readers: each stalled client adds under ${KIB_PER_STALLED_CLIENT} KiB to the proxy's RSS, and new connections are answered while they stall`, { timeout: 300_000 }, async (t) => {
  const up = await startUpstream();
  const proxy = await startProxy(`listeners: [{ address: "127.0.0.1:0" }]
admin: { address: null }
accessLog: false
limits: { maxConnections: 20000 }
upstreams: { app: { servers: ["127.0.0.1:${up.port}"] } }
routes: [{ upstream: app }]
`);
  const socks: Socket[] = [];
  t.after(async () => {
    for (const s of socks) s.destroy();
    await proxy.kill();
    await up.kill();
  });
  assert.equal(await answeredCount(proxy.port), NEW_REQUESTS);
  const pid = workerPid(proxy.child.pid as number);

  await openStalled(proxy.port, WARM, socks);
  await untilStalled(pid);
  const warmKiB = rssKiB(pid);
  await openStalled(proxy.port, MORE, socks);
  const whileFlowing = await answeredCount(proxy.port);
  await untilStalled(pid);
  const stalledKiB = rssKiB(pid);
  const whileStalled = await answeredCount(proxy.port);
  const perClient = (stalledKiB - warmKiB) / MORE;
  t.diagnostic(`RSS ${(warmKiB / 1024).toFixed(1)} MiB with ${WARM} stalled, ${(stalledKiB / 1024).toFixed(1)} MiB with ${WARM + MORE}: ${perClient.toFixed(1)} KiB per stalled client`);
  t.diagnostic(`new requests answered: ${whileFlowing}/${NEW_REQUESTS} while the data flowed, ${whileStalled}/${NEW_REQUESTS} once stalled`);

  assert.ok(perClient <= KIB_PER_STALLED_CLIENT, `${perClient.toFixed(1)} KiB per stalled client (bound ${KIB_PER_STALLED_CLIENT})`);
  assert.equal(whileFlowing, NEW_REQUESTS);
  assert.equal(whileStalled, NEW_REQUESTS);
});
