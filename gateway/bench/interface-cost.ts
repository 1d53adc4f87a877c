// Cost of the TSGI interface: a hello app on serve() vs the same response from
// a bare node:http handler vs toNodeHandler on node:http. Each server runs in
// its own process; autocannon runs here. Rounds are interleaved so drift on a
// shared machine hits every variant alike. Bounded: ROUNDS x variants x SECONDS.
// Usage: npm run bench -w gateway  [-- --rounds 3 --seconds 3 --connections 50]
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    pipelining: { type: 'string', default: '1' },
  },
});
const rounds = Math.min(10, Number(values.rounds));
const seconds = Math.min(10, Number(values.seconds));
const connections = Number(values.connections);
const pipelining = Number(values.pipelining);
const variants = ['node', 'tsgi', 'adapter'] as const;
type Variant = (typeof variants)[number];
const labels: Record<Variant, string> = {
  node: 'bare node:http handler',
  tsgi: 'TSGI serve() (reference server)',
  adapter: 'TSGI toNodeHandler on node:http',
};

function start(variant: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--conditions=@tsgi/source', '--import', 'tsx', join(import.meta.dirname, 'hello-server.ts'), variant], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${variant} server exited (${code})`)));
  });
}

async function load(port: number, duration: number): Promise<{ rps: number; p99: number; errors: number }> {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/`, connections, pipelining, duration });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

const servers = new Map<string, { child: ChildProcess; port: number }>();
try {
  for (const v of variants) servers.set(v, await start(v));
  for (const v of variants) await load(servers.get(v)!.port, 1); // warm-up (JIT)
  const rps: Record<Variant, number[]> = { node: [], tsgi: [], adapter: [] };
  const p99: Record<Variant, number[]> = { node: [], tsgi: [], adapter: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const r = await load(servers.get(v)!.port, seconds);
      if (r.errors > 0) throw new Error(`${v}: ${r.errors} errors or non-2xx responses`);
      rps[v].push(r.rps);
      p99[v].push(r.p99);
      console.log(`round ${round + 1} ${v.padEnd(8)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99} ms`);
    }
  }
  const median = (xs: readonly number[]): number => {
    const middle = [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    if (middle === undefined) throw new Error('median of no samples');
    return middle;
  };
  const base = median(rps.node);
  console.log(`\n${connections} connections, pipelining ${pipelining}, ${rounds} rounds x ${seconds} s, Node ${process.version}`);
  console.log('| variant | median req/s | ratio vs bare node:http | median p99 ms |');
  console.log('|---|---:|---:|---:|');
  for (const v of variants) {
    console.log(`| ${labels[v]} | ${median(rps[v]).toFixed(0)} | ${(median(rps[v]) / base).toFixed(2)} | ${median(p99[v])} |`);
  }
} finally {
  for (const s of servers.values()) s.child.kill('SIGKILL');
}
