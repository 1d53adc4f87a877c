#!/usr/bin/env node
// Proxy engine benchmark: the same node:http upstream behind each engine,
// loaded by wrk in interleaved rounds, reported as ratios to nginx.
//
//   npm run bench -w @tsgi/proxy -- [--duration 3] [--rounds 2] [--connections 50] [--workers 1] [--only nginx,tsgi,raw,undici,http-proxy-3,http-proxy] [--source 1] [--baseline DIR]
//
// --baseline DIR adds the tsgi-proxy built in another checkout (DIR/proxy/dist, e.g. `git archive main`
// unpacked and built) as one more engine, so before and after are measured in the same interleaved run.
//
// tsgi-proxy runs from proxy/dist when built (npm run build), else (or with --source) from sources under tsx.
//
// Engines: direct (no proxy), nginx proxy_pass with upstream keepalive,
// tsgi-proxy (this package), undici Pool.dispatch forwarding, http-proxy-3,
// http-proxy. Every engine is its own process; everything is on 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@tsgi/test-support';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const duration = Number(args.duration ?? 3);
const rounds = Number(args.rounds ?? 2);
const connections = Number(args.connections ?? 50);
const workers = Number(args.workers ?? 1);
const only = args.only ? new Set(args.only.split(',')) : null;

if (spawnSync('wrk', ['--version']).error) {
  console.error('bench: wrk is not installed (Debian: apt-get install wrk)');
  process.exit(2);
}
const tmp = mkdtempSync(join(tmpdir(), 'tsgi-proxy-bench-'));
const children = [];
// Interrupted (Ctrl-C, timeout): take every engine down with us.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  });
}

function start(cmd, argv, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
    children.push(child);
    let out = '';
    const onData = (d) => {
      out += d;
      const port = ready(out);
      if (port) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve({ child, port });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out.slice(-500)}`)));
  });
}
const readyLine = (out) => /READY (\d+)/.exec(out)?.[1];


async function waitConnect(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`port ${port} never accepted`);
}

const upstream = await start(process.execPath, [join(here, 'engines/upstream.mjs')], readyLine);
const up = upstream.port;
const engines = [];
engines.push({ name: 'direct (no proxy)', port: up });

async function startNginx() {
  const port = await freePort();
  const conf = `worker_processes ${workers};
daemon off;
master_process ${workers > 1 ? 'on' : 'off'};
pid ${tmp}/nginx.pid;
error_log ${tmp}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${tmp}/body; proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fcgi; uwsgi_temp_path ${tmp}/uwsgi; scgi_temp_path ${tmp}/scgi;
  upstream app { server 127.0.0.1:${up}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
  writeFileSync(join(tmp, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-p', tmp, '-c', join(tmp, 'nginx.conf')], { stdio: 'ignore' });
  children.push(child);
  await waitConnect(port);
  return { port, pid: child.pid };
}

async function startTsgi(from = root) {
  const cfg = join(tmp, 'proxy.yaml');
  writeFileSync(
    cfg,
    `listeners: [{ address: "127.0.0.1:0" }]\nadmin: { address: null }\nworkers: ${workers}\naccessLog: false\n` +
      `upstreams: { app: { servers: ["127.0.0.1:${up}"] } }\nroutes: [{ upstream: app }]\n`,
  );
  const dist = join(from, 'proxy/dist/process/cli.js');
  const useDist = !args.source && spawnSync('test', ['-f', dist]).status === 0;
  const argv = useDist ? [dist, '--config', cfg] : ['--conditions=@tsgi/source', '--import', 'tsx', join(root, 'proxy/src/process/cli.ts'), '--config', cfg];
  const { port, child } = await start(process.execPath, argv, (out) => {
    const m = /"listeners":\["[^"]*:(\d+)"/.exec(out);
    return m?.[1];
  });
  return { port, pid: child.pid };
}

/** A Node engine from bench/engines/, forwarding to the upstream; its pid lets the table show its CPU per request. */
async function startNodeEngine(file) {
  const { child, port } = await start(process.execPath, [join(here, file), String(up)], readyLine);
  return { port, pid: child.pid };
}

const wanted = (name) => only === null || only.has(name);
if (spawnSync('nginx', ['-v']).error) console.error('bench: nginx not installed; ratios are to the direct upstream');
else if (wanted('nginx')) engines.push({ name: `nginx proxy_pass keepalive (${workers}w)`, ...(await startNginx()), nginx: true });
if (wanted('tsgi')) {
  engines.push({ name: `tsgi-proxy (${workers}w)`, ...(await startTsgi()) });
  if (args.baseline) engines.push({ name: `tsgi-proxy baseline (${workers}w)`, ...(await startTsgi(args.baseline)) });
}
if (wanted('raw')) engines.push({ name: 'raw TCP pipe, not a proxy (1w)', ...(await startNodeEngine('engines/raw-pipe.mjs')) });
if (wanted('undici')) engines.push({ name: 'undici Pool.dispatch (1w)', ...(await startNodeEngine('engines/undici-pool.mjs')) });
if (wanted('http-proxy-3')) engines.push({ name: 'http-proxy-3 keep-alive (1w)', ...(await startNodeEngine('engines/http-proxy-3.mjs')) });
if (wanted('http-proxy')) engines.push({ name: 'http-proxy keep-alive (1w)', ...(await startNodeEngine('engines/http-proxy.mjs')) });

/**
 * CPU seconds a process and its children (a tsgi-proxy master's workers; nginx with master_process off has none)
 * used so far in user space and in the kernel, from /proc (Linux); NaN elsewhere.
 */
function cpuSeconds(pid) {
  try {
    const own = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(cpuSeconds);
    return children.reduce((a, c) => ({ user: a.user + c.user, sys: a.sys + c.sys }), { user: Number(own[11]) / 100, sys: Number(own[12]) / 100 });
  } catch {
    return { user: Number.NaN, sys: Number.NaN };
  }
}

function wrk(port, seconds, pid) {
  const cpu0 = pid === undefined ? { user: Number.NaN, sys: Number.NaN } : cpuSeconds(pid);
  const r = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
  // CPU per request (the engine's whole process tree) holds up under contention far better than req/s. The split
  // shows where a Node engine differs from nginx: both pay about the same kernel time for the same syscalls.
  const cpu1 = pid === undefined ? cpu0 : cpuSeconds(pid);
  const perRequest = (a, b) => (workers === 1 && requests > 0 ? ((b - a) / requests) * 1e6 : Number.NaN);
  const userUs = perRequest(cpu0.user, cpu1.user);
  const sysUs = perRequest(cpu0.sys, cpu1.sys);
  const cpuUs = userUs + sysUs;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
  const p99m = /\s99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const p99 = p99m ? Number(p99m[1]) * { us: 0.001, ms: 1, s: 1000 }[p99m[2]] : NaN;
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(r.stdout)?.[0] ?? '';
  return { rps, p99, errors, cpuUs, userUs, sysUs };
}

const results = new Map(engines.map((e) => [e.name, []]));
for (const e of engines) wrk(e.port, 1); // warm-up: JIT, pools
for (let round = 0; round < rounds; round++) {
  for (const e of engines) {
    const r = wrk(e.port, duration, e.pid);
    results.get(e.name).push(r);
    console.error(`round ${round + 1}: ${e.name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99.toFixed(2)} ms  cpu ${r.cpuUs.toFixed(1)} µs/req (user ${r.userUs.toFixed(1)}, kernel ${r.sysUs.toFixed(1)}) ${r.errors}`);
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = engines.find((e) => e.nginx) ?? engines[0];
const baseRps = median(results.get(base.name).map((r) => r.rps));
const baseP99 = median(results.get(base.name).map((r) => r.p99));
console.log(`\nwrk -t1 -c${connections} -d${duration}s, ${rounds} interleaved rounds (median), node ${process.version}, ratios to ${base.name}\n`);
console.log('| engine | req/s | p99 ms | req/s ratio | p99 ratio | CPU µs/req | user µs/req | kernel µs/req |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const e of engines) {
  const rps = median(results.get(e.name).map((r) => r.rps));
  const p99 = median(results.get(e.name).map((r) => r.p99));
  const cpu = median(results.get(e.name).map((r) => r.cpuUs));
  const user = median(results.get(e.name).map((r) => r.userUs));
  const sys = median(results.get(e.name).map((r) => r.sysUs));
  const us = (x) => (Number.isNaN(x) ? '-' : x.toFixed(1));
  console.log(`| ${e.name} | ${rps.toFixed(0)} | ${p99.toFixed(2)} | ${(rps / baseRps).toFixed(2)} | ${(p99 / baseP99).toFixed(2)} | ${us(cpu)} | ${us(user)} | ${us(sys)} |`);
}

for (const c of children) c.kill('SIGKILL');
rmSync(tmp, { recursive: true, force: true });
process.exit(0);
