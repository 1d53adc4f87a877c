/**
 * Per-request CPU cost of the middleware, in process (no sockets): the
 * same app bare and wrapped, called with a prepared environ, interleaved
 * rounds, bounded by count and time. Prints ns/request and the ratio.
 *
 * Runs against the compiled package, as production does (tsx-transformed
 * sources measured up to 10x slower for some paths here):
 *
 *   npx tsc -b middleware && node --import tsx middleware/bench/overhead.ts
 */
import type { App, Environ, StartResponse } from '@tsgi/gateway';
import { compression, cors, proxyFix, requestId, securityHeaders } from '@tsgi/middleware';

const body = [Buffer.from('{"ok":true}')];
const headers: Array<[string, string]> = [['Content-Type', 'application/json'], ['Content-Length', '11']];
const bare: App = (_e, sr) => {
  sr('200 OK', headers);
  return body;
};
const variants: Record<string, App> = {
  bare,
  securityHeaders: securityHeaders(bare),
  requestId: requestId(bare),
  cors: cors(bare, { origin: ['https://a.example'] }),
  proxyFix: proxyFix(bare),
  compression: compression(bare),
  'all five': proxyFix(requestId(securityHeaders(cors(compression(bare), { origin: ['https://a.example'] })))),
};

function environ(): Environ {
  return {
    REQUEST_METHOD: 'GET', SCRIPT_NAME: '', PATH_INFO: '/x', QUERY_STRING: '', SERVER_NAME: '127.0.0.1', SERVER_PORT: '80',
    SERVER_PROTOCOL: 'HTTP/1.1', REMOTE_ADDR: '127.0.0.1', HTTP_HOST: 'x', HTTP_ACCEPT_ENCODING: 'gzip, deflate, br',
    HTTP_ORIGIN: 'https://a.example', HTTP_X_FORWARDED_FOR: '203.0.113.1', 'tsgi.version': [1, 0], 'tsgi.url_scheme': 'http',
    'tsgi.input': undefined as never, 'tsgi.errors': { write() {}, flush() {} }, 'tsgi.multithread': false,
    'tsgi.multiprocess': false, 'tsgi.run_once': false, 'tsgi.input_terminated': true,
  } as Environ;
}
const sr: StartResponse = () => async () => undefined;

// CPU time, not wall time: on a shared machine the process is descheduled
// for long stretches, which wall-clock per-request numbers would absorb.
async function round(app: App, n: number, budgetMs: number): Promise<number> {
  const c0 = process.cpuUsage();
  const deadline = performance.now() + budgetMs;
  let i = 0;
  for (; i < n && (i % 1024 !== 0 || performance.now() < deadline); i++) {
    const r = app(environ(), sr);
    if (r instanceof Promise) await r;
  }
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / i;
}

const ROUNDS = 5;
const results: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, app] of Object.entries(variants)) {
    (results[name] ??= []).push(await round(app, 200_000, 400));
  }
}
function median(xs: readonly number[] | undefined): number {
  const sorted = [...(xs ?? [])].sort((a, b) => a - b);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new Error('median of no samples');
  return middle;
}
const base = median(results['bare']);
console.log(`node ${process.version}, ${ROUNDS} interleaved rounds, median CPU ns/request (environ construction included)`);
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs);
  console.log(`${name.padEnd(16)} ${m.toFixed(0).padStart(6)} ns   +${(m - base).toFixed(0).padStart(5)} ns   ${(m / base).toFixed(2)}x bare`);
}
