#!/usr/bin/env node
// Slow readers: N clients request a 16 MiB response (--bytes) and never read it, opened in two halves. Measures the
// proxy's RSS before, once the first half has stalled (the proxy's CPU time stops moving), once the second
// half has stalled, and 5 s after every client closed. kibPerClient is the average over all N; kibPerClientMarginal
// is what the second half added per client, once the one-off cost of moving the data (heap growth, buffers awaiting
// GC, what malloc keeps) was paid by the first half. New requests (fresh connections, 4 at a time) are timed to
// their response head twice: 100 while the second half's data still flows, 100 once everything has stalled.
//
//   node proxy/bench/slow-readers.mjs [--clients 1000] [--bytes 16777216] [--engine tsgi|nginx] [--checkout DIR]
//
// Upstream: test/fixtures/upstream.mjs (/download?bytes=N). tsgi-proxy from proxy/dist (npm run build), or from
// DIR/proxy/dist (another checkout, built: a same-run before/after); nginx 1 worker, upstream keepalive,
// proxy_max_temp_file_size 0 (no disk buffering, so both hold memory only).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { procs, start, workerOf } from './bench-processes.mjs';
import { freePort } from '@tsgi/test-support';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const clients = Number(args.clients ?? 1000);
const engine = args.engine ?? 'tsgi';
const bytes = Number(args.bytes ?? 16 * 1024 * 1024);
const checkout = args.checkout ?? root;
const dir = mkdtempSync(join(tmpdir(), 'tsgi-slow-readers-'));

const up = await start(process.execPath, [join(root, 'proxy/test/fixtures/upstream.mjs'), '0'], (o) => /READY (\d+)/.exec(o)?.[1]);
const upPort = Number(up.value);
const port = await freePort();
let pid;
if (engine === 'nginx') {
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 20000; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  proxy_max_temp_file_size 0;
  upstream app { server 127.0.0.1:${upPort}; keepalive 64; }
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } } }`,
  );
  const master = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  procs.push(master);
  await delay(1000);
  pid = Number(execFileSync('pgrep', ['-P', String(master.pid)]).toString().trim().split('\n')[0]);
} else {
  writeFileSync(join(dir, 'proxy.yaml'), `listeners: [{ address: "127.0.0.1:${port}" }]\nadmin: { address: null }\naccessLog: false\nlimits: { maxConnections: 20000 }\nupstreams: { app: { servers: ["127.0.0.1:${upPort}"] } }\nroutes: [{ upstream: app }]\n`);
  const p = await start(process.execPath, [join(checkout, 'proxy/dist/process/cli.js'), '--config', join(dir, 'proxy.yaml')], (o) => (o.includes('tsgi-proxy listening') ? true : undefined));
  pid = workerOf(p.child.pid);
}

const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))[1]) / 1024;
const cpuTicks = () => {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};
/** ms to the response head of one GET on a fresh connection (15000: none in 15 s). */
function headLatency() {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const giveUp = setTimeout(() => {
      s.destroy();
      resolve(15_000);
    }, 15_000);
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n\r\n')) {
        clearTimeout(giveUp);
        s.destroy();
        resolve(Date.now() - t0);
      }
    });
    s.on('error', () => {
      clearTimeout(giveUp);
      resolve(15_000);
    });
    s.on('connect', () => s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  });
}

/** 100 new requests, 4 at a time: response-head times in ms, sorted. */
async function probe() {
  const lat = [];
  for (let i = 0; i < 25; i++) lat.push(...(await Promise.all([headLatency(), headLatency(), headLatency(), headLatency()])));
  return lat.sort((a, b) => a - b);
}
const summary = (lat) => ({ p50: lat[50], p99: lat[98], max: lat[99], over1s: lat.filter((x) => x > 1000).length, none: lat.filter((x) => x >= 15_000).length });

/** Opens n clients (100 at a time) that send their request and never read. */
async function openStalled(n) {
  for (let i = 0; i < n; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, () => new Promise((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => {});
        s.on('connect', () => {
          s.write(`GET /download?bytes=${bytes} HTTP/1.1\r\nHost: x\r\n\r\n`);
          s.pause();
          socks.push(s);
          resolve();
        });
      })),
    );
  }
}

/** Waits until the proxy's CPU time moved by at most 3 ticks in each of two seconds in a row (at most 90 s). */
async function stalled() {
  let last = cpuTicks();
  for (let i = 0, quiet = 0; i < 90 && quiet < 2; i++) {
    await delay(1000);
    const now = cpuTicks();
    quiet = now - last <= 3 ? quiet + 1 : 0;
    last = now;
  }
}

for (let i = 0; i < 20; i++) await headLatency();
await delay(500);
const rssBefore = rssMiB();
const socks = [];
const openedAt = Date.now();
const firstHalf = Math.floor(clients / 2);
await openStalled(firstHalf);
await stalled();
const rssHalf = rssMiB();
await openStalled(clients - firstHalf);
const whileFlowing = await probe();
await stalled();
const stalledAfterS = (Date.now() - openedAt) / 1000;
const rssStalled = rssMiB();
const afterStall = await probe();
for (const s of socks) s.destroy();
await delay(5000);
const rssAfter = rssMiB();
console.log(
  JSON.stringify({
    engine: engine === 'tsgi' && checkout !== root ? `tsgi (${checkout})` : engine,
    clients,
    bytes,
    stalledAfterS,
    rssBeforeMiB: +rssBefore.toFixed(1),
    rssHalfMiB: +rssHalf.toFixed(1),
    rssStalledMiB: +rssStalled.toFixed(1),
    kibPerClient: +(((rssStalled - rssBefore) * 1024) / clients).toFixed(1),
    kibPerClientMarginal: +(((rssStalled - rssHalf) * 1024) / (clients - firstHalf)).toFixed(1),
    rssAfterCloseMiB: +rssAfter.toFixed(1),
    newRequestMs: { whileFlowing: summary(whileFlowing), afterStall: summary(afterStall) },
  }),
);
for (const c of procs) c.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });
process.exit(0);
