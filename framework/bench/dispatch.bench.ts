/**
 * The framework's request path in process (no sockets): calls an App as a
 * TSGI app with a prepared environ and drains the body, in interleaved
 * rounds, for three routes: a string, JSON with a URL variable, and a route
 * with before/after/teardown hooks. Both builds are the compiled dist.
 * Run: npm run build && node --import tsx framework/bench/dispatch.bench.ts
 *   env: BENCH_ROUNDS=8 BENCH_CALLS=30000
 *   BENCH_BASELINE=DIR adds the framework built in another checkout (DIR is a
 *   framework folder with dist/), run in the same rounds, with the ratio.
 */
import type * as FrameworkModule from '@tsgi/framework';
import type { Environ, ResponseBody, StartResponse } from '@tsgi/gateway';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const rounds = Number(process.env['BENCH_ROUNDS'] ?? 8);
const calls = Number(process.env['BENCH_CALLS'] ?? 30_000);

type Framework = typeof FrameworkModule;
type TsgiApp = (environ: Environ, startResponse: StartResponse) => ResponseBody | Promise<ResponseBody>;

function buildApps(framework: Framework): { app: TsgiApp; hooked: TsgiApp } {
  const app = new framework.App();
  app.get('/plain', function plain() {
    return 'Hello, World!';
  });
  app.get('/json/<int:id>', function item(ctx) {
    return { id: ctx.params.id, name: 'item' };
  });
  const hooked = new framework.App();
  hooked.beforeRequest(() => undefined);
  hooked.afterRequest((response) => {
    response.headers.set('X-After', '1');
  });
  hooked.teardownRequest(() => undefined);
  hooked.get('/hooked', function hookedView() {
    return 'hooked';
  });
  return { app, hooked };
}

function environFor(framework: Framework, path: string): Environ {
  return {
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: '',
    PATH_INFO: path,
    QUERY_STRING: '',
    SERVER_NAME: 'localhost',
    SERVER_PORT: '80',
    SERVER_PROTOCOL: 'HTTP/1.1',
    HTTP_HOST: 'localhost',
    'tsgi.version': [1, 0],
    'tsgi.url_scheme': 'http',
    'tsgi.input': new framework.BufferInputStream(new Uint8Array(0)),
    'tsgi.errors': { write: () => undefined, flush: () => undefined },
    'tsgi.multithread': false,
    'tsgi.multiprocess': false,
    'tsgi.run_once': false,
  } as unknown as Environ;
}

const startResponse: StartResponse = () => async () => undefined;

async function run(app: TsgiApp, environ: () => Environ): Promise<number> {
  // CPU time, not wall time: on a shared machine the wait for a core is not the framework's cost.
  const started = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const answer = app(environ(), startResponse);
    const body = answer instanceof Promise ? await answer : answer;
    for (const chunk of body as Iterable<Uint8Array>) void chunk;
    await body.close?.();
  }
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1000) / calls;
}

const builds: Array<[string, string]> = [['after', fileURLToPath(new URL('..', import.meta.url))]];
if (process.env['BENCH_BASELINE']) builds.unshift(['before', process.env['BENCH_BASELINE']]);
const frameworks: Array<[string, Framework]> = [];
for (const [name, dir] of builds) frameworks.push([name, (await import(pathToFileURL(join(dir, 'dist/index.js')).href)) as Framework]);

const cases = ['/plain', '/json/42', '/hooked'];
const results = new Map<string, number[]>();
for (let round = 0; round < rounds; round++) {
  // Alternate which build goes first, so neither always meets a warmer or busier machine.
  for (const [name, framework] of round % 2 === 0 ? frameworks : [...frameworks].reverse()) {
    const { app, hooked } = buildApps(framework);
    for (const path of cases) {
      const target = path === '/hooked' ? hooked : app;
      const ns = await run(target, () => environFor(framework, path));
      const key = `${path} ${name}`;
      results.set(key, [...(results.get(key) ?? []), ns]);
    }
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
console.log(`node ${process.version}, ${rounds} rounds × ${calls} calls, median CPU ns per request`);
for (const path of cases) {
  const after = median(results.get(`${path} after`) ?? []);
  const before = results.has(`${path} before`) ? median(results.get(`${path} before`) ?? []) : undefined;
  console.log(`${path.padEnd(10)} after ${after.toFixed(0).padStart(6)} ns${before === undefined ? '' : `   before ${before.toFixed(0).padStart(6)} ns   after/before ${(after / before).toFixed(3)}`}`);
}
