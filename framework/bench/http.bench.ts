/**
 * The seed routes: framework on the gateway's reference server vs fastify,
 * one process each, same routes, short interleaved autocannon rounds against
 * 127.0.0.1, ratios of median req/s. Bounded: DURATION seconds and at most
 * MAX_REQUESTS requests per run.
 * Run: node --conditions=@tsgi/source --import tsx framework/bench/http.bench.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

interface AutocannonResult {
  requests: { average: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const DURATION = 3;
const MAX_REQUESTS = 2_000_000;
const ROUNDS = 3;
const CONNECTIONS = 32;
const PATHS = ['/', '/post/3', '/hello/World', '/api/json'];
const serverFile = fileURLToPath(new URL('./http-server.ts', import.meta.url));

function start(kind: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--conditions=@tsgi/source', '--import', 'tsx', serverFile, kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

const servers = { framework: await start('framework'), fastify: await start('fastify') };
try {
  const results: Record<string, Record<string, number[]>> = { framework: {}, fastify: {} };
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of PATHS) {
      const order = round % 2 === 0 ? (['framework', 'fastify'] as const) : (['fastify', 'framework'] as const);
      for (const kind of order) {
        const result = await autocannon({ url: `http://127.0.0.1:${servers[kind].port}${path}`, connections: CONNECTIONS, duration: DURATION, maxOverallRequests: MAX_REQUESTS });
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${kind} ${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        (results[kind]![path] ??= []).push(result.requests.average);
      }
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`node ${process.version}, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds x ${DURATION}s per route and server (median req/s)`);
  console.log('route            framework   fastify   ratio');
  for (const path of PATHS) {
    const ours = median(results['framework']![path]!);
    const theirs = median(results['fastify']![path]!);
    console.log(`${path.padEnd(16)} ${ours.toFixed(0).padStart(9)} ${theirs.toFixed(0).padStart(9)}   ${(ours / theirs).toFixed(2)}`);
  }
} finally {
  for (const { child } of Object.values(servers)) child.kill('SIGTERM');
}
