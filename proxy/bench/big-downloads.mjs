#!/usr/bin/env node
// Big downloads: 4 clients at once each read a 64 MiB response through tsgi-proxy as fast as they can, 3 rounds.
// Prints MiB/s and the proxy's CPU milliseconds per GiB moved (from /proc/<pid>/stat, which holds up under load
// far better than MiB/s). --checkout DIR runs the tsgi-proxy built in another checkout (DIR/proxy/dist), for a
// same-run before/after: run both, interleaved.
//
//   node proxy/bench/big-downloads.mjs [--rounds 3] [--checkout DIR]
//
// Upstream: test/fixtures/upstream.mjs (/download?bytes=N). tsgi-proxy from proxy/dist (npm run build).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { procs, start, workerOf } from './bench-processes.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const checkout = args.checkout ?? root;
const rounds = Number(args.rounds ?? 3);
const bytes = 64 * 1024 * 1024;
const clients = 4;
const dir = mkdtempSync(join(tmpdir(), 'tsgi-big-downloads-'));

const up = await start(process.execPath, [join(root, 'proxy/test/fixtures/upstream.mjs'), '0'], (o) => /READY (\d+)/.exec(o)?.[1]);
const probe = createServer();
await new Promise((r) => probe.listen(0, '127.0.0.1', r));
const { port } = probe.address();
await new Promise((r) => probe.close(r));
writeFileSync(join(dir, 'proxy.yaml'), `listeners: [{ address: "127.0.0.1:${port}" }]\nadmin: { address: null }\naccessLog: false\nupstreams: { app: { servers: ["127.0.0.1:${up.value}"] } }\nroutes: [{ upstream: app }]\n`);
const proxy = await start(process.execPath, [join(checkout, 'proxy/dist/process/cli.js'), '--config', join(dir, 'proxy.yaml')], (o) => (o.includes('tsgi-proxy listening') ? true : undefined));
const worker = workerOf(proxy.child.pid);
const cpuTicks = () => {
  const f = readFileSync(`/proc/${worker}/stat`, 'latin1').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};

/** One GET of the whole response, read as it comes. */
function download() {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let n = 0;
    s.on('error', reject);
    s.on('data', (d) => {
      n += d.length;
      if (n >= bytes) {
        s.destroy();
        resolve();
      }
    });
    s.write(`GET /download?bytes=${bytes} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}

const mibPerS = [];
const cpuMsPerGiB = [];
const gib = (clients * bytes) / 1024 ** 3;
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now();
  const c0 = cpuTicks();
  await Promise.all(Array.from({ length: clients }, download));
  // Clock ticks are 10 ms on Linux (getconf CLK_TCK = 100).
  cpuMsPerGiB.push(Math.round(((cpuTicks() - c0) * 10) / gib));
  mibPerS.push(Math.round((clients * bytes) / 1048576 / ((performance.now() - t0) / 1000)));
}
console.log(JSON.stringify({ engine: checkout === root ? 'tsgi' : `tsgi (${checkout})`, clients, bytes, mibPerS, cpuMsPerGiB }));
for (const c of procs) c.kill('SIGKILL');
rmSync(dir, { recursive: true, force: true });
process.exit(0);
