#!/usr/bin/env node
// Side-by-side benchmark of the same trivial app (interleaved rounds, ratios):
//   tsgi-appserver (1 worker) · bare gateway serve() · node:http · fastify · gunicorn+Flask (1 sync worker).
// Socket models (2 workers): bench/socket-models.mjs (npm run bench:sockets).
// Usage: npm run bench -w @tsgi/appserver   (env: BENCH_SECONDS=3 BENCH_ROUNDS=2 BENCH_CONNECTIONS=50)
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const hasGunicorn = spawnSync('gunicorn', ['--version']).status === 0;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

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

const appserver = (workers, model) => (port) => [
  process.execPath,
  [cli, '-b', `127.0.0.1:${port}`, '-w', String(workers), '--socket-model', model, '--log-level', 'warning', `${here}hello-tsgi.mjs:app`],
];

const mainSet = {
  'tsgi-appserver (1 worker)': appserver(1, 'shared'),
  'gateway serve() (same app, no worker hooks)': (port) => [process.execPath, [`${here}servers.mjs`, 'gateway', String(port)]],
  'node:http': (port) => [process.execPath, [`${here}servers.mjs`, 'node', String(port)]],
  fastify: (port) => [process.execPath, [`${here}servers.mjs`, 'fastify', String(port)]],
};
if (hasGunicorn) {
  mainSet['gunicorn+Flask (1 sync worker)'] = (port) => [
    'gunicorn',
    ['-w', '1', '-k', 'sync', '-b', `127.0.0.1:${port}`, '--chdir', here, '--log-level', 'warning', 'hello_flask:app'],
  ];
}
async function measure(name, make) {
  const port = await freePort();
  const [cmd, args] = make(port);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitPort(port, child);
    await autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: 1 });
    const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: seconds });
    return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx };
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

async function runSet(title, set, baseline) {
  const results = Object.fromEntries(Object.keys(set).map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, make] of Object.entries(set)) results[name].push(await measure(name, make));
  }
  const rows = Object.entries(results).map(([name, rs]) => ({
    name,
    rps: rs.reduce((a, r) => a + r.rps, 0) / rs.length,
    p99: Math.max(...rs.map((r) => r.p99)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    rounds: rs.map((r) => Math.round(r.rps)).join(', '),
  }));
  const base = rows.find((r) => r.name === baseline) ?? rows[0];
  console.log(`\n### ${title} (node ${process.versions.node}, ${connections} connections, ${seconds}s x ${rounds} interleaved rounds)\n`);
  console.log(`| server | req/s | ratio vs ${base.name} | per round | p99 ms | errors |`);
  console.log('|---|---:|---:|---|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${Math.round(r.rps)} | ${(r.rps / base.rps).toFixed(2)} | ${r.rounds} | ${r.p99} | ${r.errors} |`);
  }
}

await runSet('Same trivial app, one process each', mainSet, 'fastify');
if (!hasGunicorn) console.log('\ngunicorn skipped: apt-get install gunicorn python3-flask');
