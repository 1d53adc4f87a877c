#!/usr/bin/env node
// Side-by-side benchmark of the same trivial app (interleaved rounds, ratios):
//   tsgi-appserver (1 worker) · bare gateway serve() · node:http · fastify · gunicorn+Flask (1 sync worker).
// Socket models (2 workers): bench/socket-models.mjs (npm run bench:sockets).
// Usage: npm run bench -w @tsgi/appserver   (env: BENCH_SECONDS=3 BENCH_ROUNDS=2 BENCH_CONNECTIONS=50)
//   BENCH_NODES=/path/to/node24,/path/to/node22  runs every Node server on each of these Nodes, all
//   interleaved in the same rounds (one table per Node, ratios against fastify on that Node);
//   BENCH_ONLY=regex keeps the servers whose name matches (fastify, the baseline, always stays).
//   BENCH_BASELINE=DIR adds tsgi-appserver built in another checkout (DIR/appserver/dist, e.g. `git archive`
//   of an older main unpacked, `npm ci` and built there), so before and after run in the same rounds.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { freePort } from '@tsgi/test-support';
import autocannon from 'autocannon';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const hasGunicorn = spawnSync('gunicorn', ['--version']).status === 0;
const nodes = (process.env.BENCH_NODES ?? process.execPath).split(',').filter(Boolean);
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const nodeVersion = (bin) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^v/, '');


async function waitPort(port, child) {
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode})`);
    const ok = await new Promise((r) => {
      const c = connect(port, '127.0.0.1', () => (c.destroy(), r(true)));
      c.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server did not start');
}

const appserver = (workers, model, from = cli) => (port, node) => [
  node,
  [from, '-b', `127.0.0.1:${port}`, '-w', String(workers), '--socket-model', model, '--log-level', 'warning', `${here}hello-tsgi.mjs:app`],
];

const mainSet = {
  'tsgi-appserver (1 worker)': appserver(1, 'shared'),
  ...(process.env.BENCH_BASELINE ? { 'tsgi-appserver baseline (1 worker)': appserver(1, 'shared', join(process.env.BENCH_BASELINE, 'appserver/dist/cli.js')) } : {}),
  'gateway serve() (same app, no worker hooks)': (port, node) => [node, [`${here}servers.mjs`, 'gateway', String(port)]],
  'node:http': (port, node) => [node, [`${here}servers.mjs`, 'node', String(port)]],
  fastify: (port, node) => [node, [`${here}servers.mjs`, 'fastify', String(port)]],
};
if (hasGunicorn) {
  mainSet['gunicorn+Flask (1 sync worker)'] = (port) => [
    'gunicorn',
    ['-w', '1', '-k', 'sync', '-b', `127.0.0.1:${port}`, '--chdir', here, '--log-level', 'warning', 'hello_flask:app'],
  ];
}
// Server CPU time (user + system, every process of the server's tree) per request: on a shared
// machine req/s swings with the neighbours' load, CPU per request much less.
const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
function treeCpuSeconds(rootPid) {
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(name), { ppid: Number(f[1]), cpu: Number(f[11]) + Number(f[12]) });
    } catch {
      // The process exited while we read.
    }
  }
  let ticks = 0;
  const todo = [rootPid];
  while (todo.length) {
    const pid = todo.pop();
    ticks += stats.get(pid)?.cpu ?? 0;
    for (const [child, st] of stats) if (st.ppid === pid) todo.push(child);
  }
  return ticks / ticksPerSecond;
}

async function measure(make, node) {
  const port = await freePort();
  const [cmd, args] = make(port, node);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitPort(port, child);
    await autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: 1 });
    const cpuBefore = treeCpuSeconds(child.pid);
    const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: seconds });
    const cpuUs = ((treeCpuSeconds(child.pid) - cpuBefore) * 1e6) / Math.max(1, r.requests.total);
    return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx, cpuUs };
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

async function runSet(title, set, baseline) {
  const names = Object.keys(set).filter((name) => name === baseline || !only || only.test(name));
  // gunicorn does not run on Node: measured once per round, shown in the first Node's table.
  const perNode = (name) => !name.startsWith('gunicorn');
  const results = new Map(nodes.map((node) => [node, Object.fromEntries(names.map((k) => [k, []]))]));
  for (let round = 0; round < rounds; round++) {
    for (const node of nodes) {
      for (const name of names) {
        if (perNode(name) || node === nodes[0]) results.get(node)[name].push(await measure(set[name], node));
      }
    }
  }
  for (const node of nodes) {
    const rows = Object.entries(results.get(node)).filter(([, rs]) => rs.length > 0).map(([name, rs]) => ({
      name,
      rps: rs.reduce((a, r) => a + r.rps, 0) / rs.length,
      p99: Math.max(...rs.map((r) => r.p99)),
      errors: rs.reduce((a, r) => a + r.errors, 0),
      rounds: rs.map((r) => Math.round(r.rps)).join(', '),
      cpuUs: rs.reduce((a, r) => a + r.cpuUs, 0) / rs.length,
    }));
    const base = rows.find((r) => r.name === baseline) ?? rows[0];
    console.log(`\n### ${title} (node ${nodeVersion(node)}, ${connections} connections, ${seconds}s x ${rounds} interleaved rounds${nodes.length > 1 ? `, ${nodes.length} Nodes interleaved` : ''})\n`);
    console.log(`| server | req/s | ratio vs ${base.name} | per round | p99 ms | errors | server CPU µs/req | CPU ratio (lower is better) |`);
    console.log('|---|---:|---:|---|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(`| ${r.name} | ${Math.round(r.rps)} | ${(r.rps / base.rps).toFixed(2)} | ${r.rounds} | ${r.p99} | ${r.errors} | ${r.cpuUs.toFixed(1)} | ${(r.cpuUs / base.cpuUs).toFixed(2)} |`);
    }
  }
}

await runSet('Same trivial app, one process each', mainSet, 'fastify');
if (!hasGunicorn) console.log('\ngunicorn skipped: apt-get install gunicorn python3-flask');
