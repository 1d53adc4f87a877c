import { existsSync } from 'node:fs';
import { messageOf } from '@tsgi/errors';
import type { App, Environ, ResponseBody, StartResponse } from '../types.js';
import { CONFORMANCE_DIR_ENV, recordEvent, releaseFile } from './side-channel.js';

/*
 * The app every conformance check talks to. The request header
 * `X-Tsgi-Case` picks a behaviour (default: echo the environ as JSON) and
 * `X-Tsgi-Id` names the request in the side-channel event log, so the path
 * and query stay free for the checks that are about them.
 */

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dir = process.env[CONFORMANCE_DIR_ENV] ?? '';

function record(id: string, event: string, detail?: string): void {
  if (dir !== '' && id !== '') recordEvent(dir, { id, event, ...(detail !== undefined ? { detail } : {}) });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function json(start: StartResponse, status: string, value: unknown): Uint8Array[] {
  const body = enc(JSON.stringify(value));
  start(status, [['Content-Type', 'application/json'], ['Content-Length', String(body.length)]]);
  return [body];
}

/** What the server put in environ, as JSON (functions and streams described, not copied). */
function describe(environ: Environ): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const badKeys: string[] = [];
  for (const key of Object.keys(environ)) {
    const value = (environ as Record<string, unknown>)[key];
    if (typeof value === 'string' || typeof value === 'boolean' || Array.isArray(value)) out[key] = value;
    if (!key.includes('.') && (!/^[A-Z][A-Z0-9_]*$/.test(key) || (typeof value !== 'string' && value !== undefined))) badKeys.push(key);
  }
  const input = environ['tsgi.input'] as unknown as Record<string | symbol, unknown>;
  out['tsgi.input'] =
    typeof input?.read === 'function' && typeof input.readLine === 'function' && typeof input[Symbol.asyncIterator] === 'function';
  const errors = environ['tsgi.errors'] as unknown as Record<string, unknown>;
  out['tsgi.errors'] = typeof errors?.write === 'function' && typeof errors.flush === 'function';
  out.badKeys = badKeys;
  return out;
}

type Handler = (environ: Environ, start: StartResponse, id: string) => ResponseBody | Promise<ResponseBody>;

const handlers: Record<string, Handler> & { echo: Handler } = {
  async echo(environ, start) {
    const input = environ['tsgi.input'];
    const parts: Uint8Array[] = [];
    let largest = 0;
    for (let chunk = await input.read(1000); chunk.length > 0; chunk = await input.read(1000)) {
      largest = Math.max(largest, chunk.length);
      parts.push(chunk);
    }
    const afterEnd = (await input.read(10)).length + (await input.read()).length;
    const body = Buffer.concat(parts);
    return json(start, '200 OK', {
      environ: describe(environ),
      body: body.toString('latin1'),
      bodyLength: body.length,
      largestRead: largest,
      afterEnd,
    });
  },

  async lines(environ, start) {
    const lines: string[] = [];
    for (let line = await environ['tsgi.input'].readLine(); line.length > 0; line = await environ['tsgi.input'].readLine()) {
      lines.push(Buffer.from(line).toString('latin1'));
    }
    return json(start, '200 OK', { lines });
  },

  async 'input-truncated'(environ, start, id) {
    let total = 0;
    try {
      for (let c = await environ['tsgi.input'].read(); c.length > 0; c = await environ['tsgi.input'].read()) total += c.length;
      record(id, 'input-ended', String(total));
    } catch (error) {
      record(id, 'input-error', messageOf(error));
    }
    return json(start, '200 OK', { total });
  },

  fixed(_environ, start) {
    const body = enc('x'.repeat(100));
    start('200 OK', [['Content-Type', 'text/plain'], ['Content-Length', '100']]);
    return [body];
  },

  generator(_environ, start) {
    start('200 OK', [['Content-Type', 'text/plain']]);
    return (async function* () {
      yield enc('a');
      yield enc('b');
      yield enc('c');
    })();
  },

  stream(_environ, start, id) {
    start('200 OK', [['Content-Type', 'text/plain']]);
    return (async function* () {
      yield enc('first\n');
      // Waits for the kit to say it has the first chunk; bounded so a buffering server still gets an answer.
      const file = releaseFile(dir, id);
      let released = false;
      for (let i = 0; i < 1000 && !(released = existsSync(file)); i++) await sleep(10);
      yield enc(released ? 'second\n' : 'never-released\n');
    })();
  },

  endless(_environ, start) {
    start('200 OK', [['Content-Type', 'text/plain']]);
    return (async function* () {
      for (let i = 0; i < 500; i++) {
        yield enc(`tick ${i}\n`);
        await sleep(20);
      }
    })();
  },

  async write(_environ, start) {
    const write = start('200 OK', [['Content-Type', 'text/plain']]);
    await write(enc('w1;'));
    await write(enc('w2;'));
    return [enc('b1')];
  },

  'exc-before'(_environ, start) {
    start('200 OK', [['X-First', '1']]);
    try {
      throw new Error('failure after startResponse, before any byte');
    } catch (error) {
      start('500 Internal Server Error', [['X-Replaced', '1'], ['Content-Length', '8']], error);
    }
    return [enc('replaced')];
  },

  'exc-after'(_environ, start, id) {
    start('200 OK', [['Content-Type', 'text/plain']]);
    return (async function* () {
      yield enc('part');
      const error = new Error('failure after the headers went out');
      try {
        start('500 Internal Server Error', [], error);
      } catch (thrown) {
        record(id, thrown === error ? 'exc-rethrown' : 'exc-other-error');
        throw thrown;
      }
      record(id, 'exc-not-rethrown');
    })();
  },

  'throw-before'() {
    throw new Error('conformance: app error before headers');
  },

  'throw-after'(_environ, start) {
    start('200 OK', [['Content-Type', 'text/plain']]);
    return (async function* () {
      yield enc('part');
      throw new Error('conformance: app error after headers');
    })();
  },

  'cl-over'(_environ, start) {
    start('200 OK', [['Content-Length', '4']]);
    return (async function* () {
      yield enc('to');
      yield enc('olong');
    })();
  },

  'cl-under'(_environ, start) {
    start('200 OK', [['Content-Length', '10']]);
    return (async function* () {
      yield enc('abc');
    })();
  },

  'bad-status'(_environ, start) {
    start('200', []);
    return [];
  },

  'string-body'(_environ, start) {
    start('200 OK', []);
    return 'a string' as unknown as ResponseBody;
  },

  'header-injection'(_environ, start) {
    start('200 OK', [['X-Safe', 'v\r\nX-Injected: 1']]);
    return [enc('x')];
  },
};

/** The conformance app: dispatches on X-Tsgi-Case and reports close() calls per X-Tsgi-Id. */
export const app: App = async (environ, startResponse) => {
  const kase = environ.HTTP_X_TSGI_CASE ?? 'echo';
  const id = environ.HTTP_X_TSGI_ID ?? '';
  const handler = handlers[kase] ?? handlers.echo;
  const body = await handler(environ, startResponse, id);
  if (body === null || typeof body !== 'object') return body;
  const inner = body.close;
  let calls = 0;
  const wrapped = body as ResponseBody;
  wrapped.close = () => {
    calls++;
    record(id, 'close', String(calls));
    return inner?.call(body);
  };
  return wrapped;
};

export default app;
