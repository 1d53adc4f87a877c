#!/usr/bin/env node
// How each socket model spreads work over 2 workers, measured (not guessed):
//   hello  autocannon on a trivial route, keep-alive connections
//   cpu    autocannon on a CPU-bound route (/cpu?n=), keep-alive connections
//   churn  the CPU-bound route with a new connection every 5 requests (reconnectRate)
//   block  one worker blocks its loop 3 s; 20 fresh-connection GETs 100 ms apart meanwhile:
//          how many stall (> 1 s) waiting for the blocked worker
// Per model: req/s, share of requests and of connections taken by each worker pid.
// Models are interleaved round by round. Needs dist/ (npm run bench builds it).
// Usage: node bench/socket-models.mjs   (env: BENCH_SECONDS=3 BENCH_ROUNDS=3 BENCH_CONNECTIONS=32 BENCH_CPU_N=200)
import autocannon from 'autocannon';
import { request } from 'undici';
import { startBenchAppserver } from './appserver-process.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const cpuN = Number(process.env.BENCH_CPU_N ?? 200);
const [major, minor] = process.versions.node.split('.').map(Number);
const reusePort = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
const models = ['round-robin', 'shared', ...(reusePort ? ['reuse-port'] : [])];

function startServer(model) {
  return startBenchAppserver(['--socket-model', model], model);
}

/** autocannon run; counts requests and connections per worker pid (X-Worker). */
async function load(url, path, reconnectRate) {
  const perPid = new Map();
  const connsPerPid = new Map();
  const seen = new WeakSet();
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    ...(reconnectRate ? { reconnectRate } : {}),
    requests: [{ method: 'GET', path }],
    setupClient(client) {
      client.on('headers', ({ headers }) => {
        let pid = '?';
        for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'x-worker') pid = String(headers[i + 1]);
        perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
        if (!seen.has(client.conn)) {
          seen.add(client.conn);
          connsPerPid.set(pid, (connsPerPid.get(pid) ?? 0) + 1);
        }
      });
    },
  });
  const counts = [...perPid.values()].sort((a, b) => b - a);
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  const conns = [...connsPerPid.values()].sort((a, b) => b - a);
  return {
    rps: r.requests.average,
    errors: r.errors + r.non2xx + r.timeouts,
    busiestShare: counts[0] / total,
    split: counts.map((c) => `${Math.round((100 * c) / total)}%`).join('/'),
    conns: conns.join('/'),
    workersUsed: counts.length,
  };
}

/** One worker blocks 3 s; fresh-connection GETs meanwhile: how many stall behind it. */
async function blocked(url) {
  const blockedPid = request(`${url}/block?ms=3000`, { reset: true }).then((r) => r.body.text());
  await new Promise((r) => setTimeout(r, 200));
  const probes = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    probes.push(
      request(`${url}/`, { reset: true, headersTimeout: 15_000 }).then(
        async (r) => ({ ms: performance.now() - t0, pid: await r.body.text() }),
        (err) => ({ ms: performance.now() - t0, pid: `error ${err.code ?? err.message}` }),
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
  }
  const results = await Promise.all(probes);
  const victim = await blockedPid;
  const stalled = results.filter((r) => r.ms > 1000);
  return { stalled: stalled.length, onVictim: results.filter((r) => r.pid === victim).length, worstMs: Math.round(Math.max(...results.map((r) => r.ms))) };
}

const scenarios = {
  hello: (url) => load(url, '/'),
  cpu: (url) => load(url, `/cpu?n=${cpuN}`),
  churn: (url) => load(url, `/cpu?n=${cpuN}`, 5),
};
const results = Object.fromEntries(models.map((m) => [m, { hello: [], cpu: [], churn: [], block: [] }]));
for (let round = 0; round < rounds; round++) {
  for (const model of models) {
    const server = await startServer(model);
    try {
      await autocannon({ url: server.url, connections, duration: 1 });
      for (const [name, run] of Object.entries(scenarios)) results[model][name].push(await run(server.url));
      results[model].block.push(await blocked(server.url));
    } finally {
      await server.stop();
    }
    process.stderr.write(`round ${round + 1} ${model} done\n`);
  }
}

const avg = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`\n### Socket models, 2 workers (node ${process.versions.node}, ${connections} connections, ${seconds}s, ${rounds} interleaved rounds, /cpu?n=${cpuN})\n`);
console.log('| model | scenario | req/s (mean) | ratio vs round-robin | req/s per round | busiest worker share (mean) | request split per round | connections per worker per round | errors |');
console.log('|---|---|---:|---:|---|---:|---|---|---:|');
for (const name of Object.keys(scenarios)) {
  const base = avg(results['round-robin'][name].map((r) => r.rps));
  for (const model of models) {
    const rs = results[model][name];
    const rps = avg(rs.map((r) => r.rps));
    console.log(
      `| ${model} | ${name} | ${Math.round(rps)} | ${(rps / base).toFixed(2)} | ${rs.map((r) => Math.round(r.rps)).join(', ')} | ${Math.round(100 * avg(rs.map((r) => r.busiestShare)))}% | ${rs.map((r) => r.split).join(', ')} | ${rs.map((r) => r.conns).join(', ')} | ${rs.reduce((a, r) => a + r.errors, 0)} |`,
    );
  }
}
console.log('\n| model | blocked worker (3 s): fresh GETs stalled > 1 s of 20, per round | answered by the blocked worker | worst latency ms |');
console.log('|---|---|---|---|');
for (const model of models) {
  const bs = results[model].block;
  console.log(`| ${model} | ${bs.map((b) => b.stalled).join(', ')} | ${bs.map((b) => b.onVictim).join(', ')} | ${bs.map((b) => b.worstMs).join(', ')} |`);
}
