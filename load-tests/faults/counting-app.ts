// The app the fault campaign runs under tsgi-appserver: it records every
// request it sees (one line per request, appended to the file named by
// TSGI_FAULTS_LOG, shared by all workers and instances) so a test can prove
// that a refused request never reached app code. Fault routes live under
// /__faults/; everything else goes to the sample app (or a built-in hello
// app when the sample app is absent from the checkout).
import { appendFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** The part of a TSGI environ this app reads (structural, so no package import is needed). */
interface Environ {
  REQUEST_METHOD: string;
  PATH_INFO: string;
  QUERY_STRING: string;
  REMOTE_ADDR: string;
  'tsgi.input': AsyncIterable<Uint8Array>;
  [key: string]: unknown;
}
type Headers = Array<[string, string]>;
type StartResponse = (status: string, headers: Headers) => unknown;
type Body = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
type App = (environ: Environ, startResponse: StartResponse) => Body | Promise<Body>;

const LOG = process.env.TSGI_FAULTS_LOG;
const enc = new TextEncoder();

function record(environ: Environ, what = environ.REQUEST_METHOD): void {
  if (!LOG) return;
  const q = environ.QUERY_STRING ? `?${environ.QUERY_STRING}` : '';
  appendFileSync(LOG, `${process.pid} ${what} ${environ.PATH_INFO}${q}\n`);
}

function text(start: StartResponse, status: string, body: string, type = 'text/plain; charset=utf-8'): Body {
  const bytes = enc.encode(body);
  start(status, [['Content-Type', type], ['Content-Length', String(bytes.length)]]);
  return [bytes];
}

function param(environ: Environ, name: string, dflt: number, max: number): number {
  const v = new URLSearchParams(environ.QUERY_STRING).get(name);
  const n = v === null ? dflt : Number(v);
  return Number.isFinite(n) ? Math.max(0, Math.min(max, Math.floor(n))) : dflt;
}

const hello: App = (environ, start) => {
  if (environ.PATH_INFO === '/') return text(start, '200 OK', '<p>Hello, World!</p>', 'text/html; charset=utf-8');
  return text(start, '404 Not Found', 'not found\n');
};

async function loadSample(): Promise<App> {
  // A variable specifier keeps this optional: the fault suite runs before the sample app lands.
  const spec = '@tsgi/sample-app';
  try {
    const mod = (await import(spec)) as { app?: App; default?: App };
    const app = mod.app ?? mod.default;
    if (typeof app === 'function') return app;
  } catch {
    // Not present in this checkout.
  }
  return hello;
}

const inner = await loadSample();

/** Which app answers non-fault routes: `sample-app` or `built-in`. */
export const innerName = inner === hello ? 'built-in' : 'sample-app';

const faults: Record<string, App> = {
  // Reports what the app was told about the client (X-Forwarded-For spoofing checks).
  '/__faults/env': (environ, start) =>
    text(
      start,
      '200 OK',
      JSON.stringify({
        REMOTE_ADDR: environ.REMOTE_ADDR,
        HTTP_X_FORWARDED_FOR: environ.HTTP_X_FORWARDED_FOR ?? null,
        HTTP_X_FORWARDED_PROTO: environ.HTTP_X_FORWARDED_PROTO ?? null,
        HTTP_HOST: environ.HTTP_HOST ?? null,
        url_scheme: environ['tsgi.url_scheme'],
        pid: process.pid,
      }),
      'application/json',
    ),
  // Answers after ?ms= milliseconds (in-flight requests during drains and reloads).
  '/__faults/sleep': async (environ, start) => {
    await delay(param(environ, 'ms', 100, 30_000));
    return text(start, '200 OK', `slept ${process.pid}\n`);
  },
  // Streams ?n= bytes in 64 KiB chunks; a generator, so the server's backpressure paces it.
  '/__faults/bytes': (environ, start) => {
    const n = param(environ, 'n', 1 << 20, 1 << 30);
    start('200 OK', [['Content-Type', 'application/octet-stream'], ['Content-Length', String(n)]]);
    const chunk = new Uint8Array(65536).fill(120);
    return (async function* stream() {
      let left = n;
      while (left > 0) {
        const k = Math.min(left, chunk.length);
        yield k === chunk.length ? chunk : chunk.subarray(0, k);
        left -= k;
      }
    })();
  },
  // Reads the whole body and answers its length; logs COMPLETE only when the
  // body ended normally, so a test can tell a body the server cut off from one the app accepted.
  '/__faults/echo-length': async (environ, start) => {
    let total = 0;
    for await (const c of environ['tsgi.input']) total += c.length;
    record(environ, `COMPLETE(${total})`);
    return text(start, '200 OK', `${total}\n`);
  },
  // An app that tries response-header injection (RESP-3): the server must refuse it.
  '/__faults/inject-header': (_environ, start) => {
    start('200 OK', [['Content-Type', 'text/plain'], ['X-Injected', 'a\r\nSet-Cookie: pwned=1']]);
    return [enc.encode('injected\n')];
  },
  // Same through the status line.
  '/__faults/inject-status': (_environ, start) => {
    start('200 OK\r\nSet-Cookie: pwned=1', [['Content-Type', 'text/plain']]);
    return [enc.encode('injected\n')];
  },
};

/** The counting app: `module:export` is `load-tests/faults/counting-app.ts:app`. */
export const app: App = (environ, start) => {
  record(environ);
  const f = faults[environ.PATH_INFO];
  return f ? f(environ, start) : inner(environ, start);
};
