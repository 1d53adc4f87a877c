#!/usr/bin/env node
// HTTPS and HTTP/2 through tsgi-proxy vs nginx with the same certificate and
// the same node:http upstream, interleaved rounds, reported as ratios to nginx.
//
//   node proxy/bench/tls-h2.mjs [--duration 3] [--rounds 2] [--connections 50] [--streams 10] [--baseline DIR]
//
// --baseline DIR adds the tsgi-proxy built in another checkout (DIR/proxy/dist) as a third engine,
// so before and after are measured in the same interleaved run.
//
// HTTPS/1.1 is loaded by wrk; HTTP/2 by bench/h2-load.mjs (node's http2 client,
// `connections` sessions × `streams` concurrent streams), the same client for both.
// Needs nginx (ssl + http_v2 modules), wrk and openssl from Debian. Loopback only.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@tsgi/test-support';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const duration = Number(args.duration ?? 3);
const rounds = Number(args.rounds ?? 2);
const connections = Number(args.connections ?? 50);
const streams = Number(args.streams ?? 10);
for (const tool of [['wrk', '--version'], ['nginx', '-v'], ['openssl', 'version']]) {
  if (spawnSync(tool[0], [tool[1]]).error) {
    console.error(`bench: ${tool[0]} is not installed (Debian: apt-get install ${tool[0]})`);
    process.exit(2);
  }
}
const tmp = mkdtempSync(join(tmpdir(), 'tsgi-tls-bench-'));
const children = [];
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => (cleanup(), process.exit(130)));

spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(tmp, 'key.pem'), '-out', join(tmp, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost']);

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
        resolve({ child, port: Number(port) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out.slice(-500)}`)));
  });
}


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

const up = (await start(process.execPath, [join(here, 'engines/upstream.mjs')], (o) => /READY (\d+)/.exec(o)?.[1])).port;

const nginxPort = await freePort();
writeFileSync(
  join(tmp, 'nginx.conf'),
  `worker_processes 1; daemon off; master_process off; pid ${tmp}/nginx.pid; error_log ${tmp}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${tmp}/body; proxy_temp_path ${tmp}/proxy; fastcgi_temp_path ${tmp}/fcgi; uwsgi_temp_path ${tmp}/uwsgi; scgi_temp_path ${tmp}/scgi;
  upstream app { server 127.0.0.1:${up}; keepalive 64; }
  server {
    listen 127.0.0.1:${nginxPort} ssl http2;
    ssl_certificate ${tmp}/cert.pem; ssl_certificate_key ${tmp}/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }
  }
}
`,
);
children.push(spawn('nginx', ['-p', tmp, '-c', join(tmp, 'nginx.conf')], { stdio: 'ignore' }));
await waitConnect(nginxPort);

const cfg = join(tmp, 'proxy.yaml');
writeFileSync(
  cfg,
  `listeners: [{ address: "127.0.0.1:0", tls: { certs: [{ cert: ${tmp}/cert.pem, key: ${tmp}/key.pem }] } }]\nadmin: { address: null }\naccessLog: false\n` +
    `upstreams: { app: { servers: ["127.0.0.1:${up}"] } }\nroutes: [{ upstream: app }]\n`,
);
async function startTsgi(from) {
  const dist = join(from, 'proxy/dist/process/cli.js');
  const useDist = !args.source && spawnSync('test', ['-f', dist]).status === 0;
  const argv = useDist ? [dist, '--config', cfg] : ['--conditions=@tsgi/source', '--import', 'tsx', join(from, 'proxy/src/process/cli.ts'), '--config', cfg];
  return (await start(process.execPath, argv, (o) => /"listeners":\["[^"]*:(\d+)"/.exec(o)?.[1])).port;
}

const engines = [
  { name: 'nginx 1w', port: nginxPort },
  { name: 'tsgi-proxy 1w', port: await startTsgi(root) },
];
if (args.baseline) engines.push({ name: 'tsgi baseline', port: await startTsgi(args.baseline) });

function https(port, seconds) {
  const r = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', `https://localhost:${port}/`], { encoding: 'utf8' });
  const p99m = /\s99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0), p99: p99m ? Number(p99m[1]) * { us: 0.001, ms: 1, s: 1000 }[p99m[2]] : NaN };
}

function h2(port, seconds) {
  const r = spawnSync(process.execPath, [join(here, 'h2-load.mjs'), String(port), String(connections > 10 ? 10 : connections), String(streams), String(seconds)], { encoding: 'utf8' });
  const m = /RESULT (\S+) (\S+) (\d+)/.exec(r.stdout);
  return { rps: Number(m?.[1] ?? 0), p99: Number(m?.[2] ?? NaN), errors: Number(m?.[3] ?? 0) };
}

const results = { https: new Map(), h2: new Map() };
for (const e of engines) {
  https(e.port, 1);
  h2(e.port, 1);
  results.https.set(e.name, []);
  results.h2.set(e.name, []);
}
for (let round = 0; round < rounds; round++) {
  for (const e of engines) {
    const a = https(e.port, duration);
    const b = h2(e.port, duration);
    results.https.get(e.name).push(a);
    results.h2.get(e.name).push(b);
    console.error(`round ${round + 1}: ${e.name.padEnd(14)} https ${a.rps.toFixed(0)} req/s p99 ${a.p99.toFixed(2)} ms | h2 ${b.rps.toFixed(0)} req/s p99 ${b.p99.toFixed(2)} ms${b.errors ? ` errors ${b.errors}` : ''}`);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\nHTTPS: wrk -t1 -c${connections}; h2: ${Math.min(connections, 10)} sessions x ${streams} streams (node http2 client); ${duration}s, ${rounds} interleaved rounds (median), node ${process.version}, ratios to nginx\n`);
console.log('| protocol | engine | req/s | p99 ms | req/s ratio | p99 ratio |');
console.log('|---|---|---:|---:|---:|---:|');
for (const proto of ['https', 'h2']) {
  const base = results[proto].get('nginx 1w');
  const bRps = median(base.map((r) => r.rps));
  const bP99 = median(base.map((r) => r.p99));
  for (const e of engines) {
    const rs = results[proto].get(e.name);
    const rps = median(rs.map((r) => r.rps));
    const p99 = median(rs.map((r) => r.p99));
    console.log(`| ${proto === 'https' ? 'HTTPS/1.1' : 'HTTP/2'} | ${e.name} | ${rps.toFixed(0)} | ${p99.toFixed(2)} | ${(rps / bRps).toFixed(2)} | ${(p99 / bP99).toFixed(2)} |`);
  }
}
cleanup();
process.exit(0);
