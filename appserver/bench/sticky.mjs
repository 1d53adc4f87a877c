#!/usr/bin/env node
// What --sticky costs: the master accepts every connection and hands it to the
// worker its client address hashes to (one IPC handle transfer per connection).
// 2 workers, pid-cpu-app.mjs (answers X-Worker); clients spread over 8 loopback
// source addresses (127.0.0.2-9) so the hash has something to spread.
//   keepalive  32 concurrent loops on keep-alive connections (one hand-over per connection)
//   churn      32 concurrent loops, a new connection per request (one hand-over per request)
// Modes interleaved round by round; req/s and the request share per worker.
// Usage: node bench/sticky.mjs   (env: BENCH_SECONDS=3 BENCH_ROUNDS=3 BENCH_CONCURRENCY=32). Needs dist/.
import { Agent, request } from 'node:http';
import { startBenchAppserver } from './appserver-process.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
const modes = [
  ['shared', ['--socket-model', 'shared']],
  ['sticky', ['--sticky']],
];

/** One GET from `localAddress` (node:http: undici ignores localAddress); resolves the X-Worker pid. */
function get(url, agent, localAddress) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, localAddress }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.headers['x-worker'])));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function load(url, churn) {
  const agents = ADDRESSES.map((localAddress) => ({ localAddress, agent: churn ? false : new Agent({ keepAlive: true, localAddress }) }));
  const perPid = new Map();
  let done = 0;
  let failed = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => {
      const { agent, localAddress } = agents[i % agents.length];
      while (Date.now() < end) {
        try {
          const pid = await get(url, agent, localAddress);
          perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
          done++;
        } catch {
          failed++;
        }
      }
    }),
  );
  for (const { agent } of agents) if (agent) agent.destroy();
  const split = [...perPid.values()].sort((a, b) => b - a).map((n) => Math.round((100 * n) / done)).join('/');
  return { rps: done / seconds, failed, split };
}

const results = new Map();
for (let round = 1; round <= rounds; round++) {
  for (const [name, flags] of modes) {
    const server = await startBenchAppserver(flags, name);
    try {
      for (const scenario of ['keepalive', 'churn']) {
        const r = await load(server.url, scenario === 'churn');
        const key = `${name} ${scenario}`;
        if (!results.has(key)) results.set(key, []);
        results.get(key).push(r);
        console.error(`round ${round} ${key}: ${Math.round(r.rps)} req/s, split ${r.split}, failed ${r.failed}`);
      }
    } finally {
      await server.stop();
    }
  }
}
console.log(`node ${process.versions.node}, ${rounds} rounds x ${seconds} s, ${concurrency} concurrent, 8 source addresses`);
console.log('| mode | scenario | req/s (mean) | vs shared | request split per round | failed |');
console.log('|---|---|---:|---:|---|---:|');
for (const scenario of ['keepalive', 'churn']) {
  const base = results.get(`shared ${scenario}`).reduce((s, r) => s + r.rps, 0) / rounds;
  for (const [name] of modes) {
    const rs = results.get(`${name} ${scenario}`);
    const mean = rs.reduce((s, r) => s + r.rps, 0) / rounds;
    console.log(`| ${name} | ${scenario} | ${Math.round(mean)} | ${(mean / base).toFixed(2)} | ${rs.map((r) => r.split).join(', ')} | ${rs.reduce((s, r) => s + r.failed, 0)} |`);
  }
}
