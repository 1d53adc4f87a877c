import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { App as TsgiApp, ResponseHeaders, StartResponse } from '@tsgi/gateway';
import { App, BadRequest, type Context } from '@tsgi/framework';
import { staticFiles } from '@tsgi/middleware';

/** Upper bounds of the load-test routes, so no query string can make a request unbounded. */
export const LIMITS = Object.freeze({ cpuMax: 100_000, cpuDefault: 1_000, chunksMax: 100, chunksDefault: 5, delayMaxMs: 1_000, delayDefaultMs: 100 });

// Resolved from this module, not the cwd: the same from src/ (tsx) and dist/.
const templatesFolder = new URL('../templates/', import.meta.url);
const staticFolder = fileURLToPath(new URL('../static/', import.meta.url));

/** The framework app: the seed's Flask routes plus the load-test routes. */
export const web = new App({ templatesFolder });

web.route('/', function hello_world() {
  return '<p>Hello, World!</p>';
});

web.route('/post/<int:post_id>', function show_post({ params }) {
  return `Post ${params.post_id}`;
});

function hello(ctx: Context<{ name?: string }>): string {
  return ctx.renderTemplate('hello.html', { name: ctx.params.name });
}
web.route('/hello/', hello);
web.route('/hello/<name>', hello);

// The JSON and health routes use the decorator form (TC39 decorators, compiled by tsc and tsx alike).
export class Api {
  @web.get('/api/json')
  static api_json() {
    return { message: 'Hello, World!', framework: 'tsgi' };
  }

  @web.get('/healthz')
  static healthz() {
    return { status: 'ok' };
  }
}

function intArg(ctx: Context, name: string, fallback: number, max: number): number {
  const raw = ctx.request.args.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw)) throw new BadRequest(`${name} must be a non-negative integer`);
  return Math.min(Number(raw), max);
}

/** CPU-bound: n rounds of SHA-256 over the previous digest (n capped at LIMITS.cpuMax). */
web.get('/cpu', function cpu(ctx) {
  const rounds = Math.max(1, intArg(ctx, 'n', LIMITS.cpuDefault, LIMITS.cpuMax));
  let digest = Buffer.from('tsgi');
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
  return { rounds, digest: digest.toString('hex') };
});

/** Slow streaming: `chunks` lines, `delay` ms apart (both capped); stops early when the client leaves. */
web.get('/stream', function stream(ctx) {
  const chunks = intArg(ctx, 'chunks', LIMITS.chunksDefault, LIMITS.chunksMax);
  const delay = intArg(ctx, 'delay', LIMITS.delayDefaultMs, LIMITS.delayMaxMs);
  async function* lines(): AsyncGenerator<string> {
    for (let i = 0; i < chunks; i++) {
      if (i > 0 && delay > 0) await sleep(delay);
      yield `chunk ${i}\n`;
    }
  }
  return [lines(), 200, { 'Content-Type': 'text/plain; charset=utf-8' }] as const;
});

const servedBy: [string, string] = ['X-Served-By', `${hostname()}:${process.pid}`];

/** Adds X-Served-By to every response so load and container tests can see which process answered. */
function withServedBy(inner: TsgiApp): TsgiApp {
  return (environ, startResponse) =>
    inner(environ, ((status: string, headers: ResponseHeaders, excInfo?: unknown) => {
      headers.push(servedBy);
      return startResponse(status, headers, excInfo);
    }) as StartResponse);
}

/** The TSGI app appservers load (`sample-app/dist/app.js:app`): static files under /static, then the framework app. */
export const app: TsgiApp = withServedBy(staticFiles(web, { root: staticFolder, prefix: '/static', maxAge: 3600 }));
