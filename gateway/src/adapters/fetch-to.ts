import { messageOf, asError } from '@tsgi/errors';
import type { App, Environ, ResponseBody, ResponseHeaders, StartResponse, Write } from '../types.js';
import { InterfaceViolation } from '../errors.js';
import { describeViolation } from '../rules.js';
import { PROXY_HOP_BY_HOP_FIELDS as HOP_BY_HOP, statusCodeOf } from '@tsgi/http1';
import { environFromRequest, type ToFetchOptions } from './fetch-environ.js';

export type { ToFetchOptions } from './fetch-environ.js';

const NULL_BODY = new Set([204, 205, 304]);

function textResponse(status: number, text: string): Response {
  return new Response(`${text}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

/**
 * One request of toFetch: the app's chunks, from its body or from write(),
 * come out through nextChunk() in the order they were produced. Pulling is
 * lazy: the app's iterator advances only when the Response body is read.
 */
class Exchange {
  status = '';
  headers: ResponseHeaders = [];
  started = false;
  committed = false;
  private writes: Array<{ chunk: Uint8Array; resolve: () => void }> = [];
  private wake: (() => void) | null = null;
  private iterator: AsyncIterator<unknown> | Iterator<unknown> | null = null;
  private pendingNext: Promise<IteratorResult<unknown>> | null = null;
  private body: ResponseBody | null = null;
  private closed = false;
  private ended = false;

  readonly startResponse: StartResponse = (status, headers, excInfo) => {
    const hasExc = excInfo !== undefined && excInfo !== null;
    if (hasExc && this.committed) throw excInfo;
    if (!hasExc && this.started) throw new InterfaceViolation('RESP-5', 'startResponse called twice without excInfo');
    if (statusCodeOf(status) === 0) throw new InterfaceViolation('RESP-1', `status ${JSON.stringify(status)}`);
    if (!Array.isArray(headers)) throw new InterfaceViolation('RESP-2', 'headers is not an array');
    this.status = status;
    this.headers = headers;
    this.started = true;
    return this.write;
  };

  private readonly write: Write = (chunk) => {
    if (!(chunk instanceof Uint8Array)) throw new InterfaceViolation('RESP-9', `write(${typeof chunk})`);
    if (this.ended || this.closed) throw new InterfaceViolation('RESP-9', 'write() after the body ended');
    if (chunk.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.writes.push({ chunk, resolve });
      this.wake?.();
    });
  };

  private bodyReady: Promise<void> | null = null;

  /** Calls the app; the Response may be committed by a write() before the app has returned its body. */
  run(app: App, environ: Environ): void {
    this.bodyReady = (async () => this.setBody(await app(environ, this.startResponse)))();
  }

  private setBody(body: ResponseBody): void {
    if (body === null || typeof body !== 'object' || ArrayBuffer.isView(body)) {
      throw new InterfaceViolation('APP-2', `the app returned ${body === null ? 'null' : typeof body}`);
    }
    this.body = body;
    const asyncIt = (body as AsyncIterable<unknown>)[Symbol.asyncIterator];
    const syncIt = (body as Iterable<unknown>)[Symbol.iterator];
    if (typeof asyncIt === 'function') this.iterator = asyncIt.call(body);
    else if (typeof syncIt === 'function') this.iterator = syncIt.call(body);
    else throw new InterfaceViolation('APP-2', 'the body is not iterable');
    // Cancelled while the app was still working: its body is closed as soon as it exists.
    if (this.closed) {
      this.closed = false;
      void this.close().catch(() => undefined);
    }
  }

  /** The next non-empty chunk (writes first, then the body), or null at the end. */
  async nextChunk(): Promise<Uint8Array | null> {
    for (;;) {
      const queued = this.writes.shift();
      if (queued) {
        queued.resolve();
        return queued.chunk;
      }
      if (this.ended) return null;
      const woken = new Promise<'write'>((resolve) => (this.wake = () => resolve('write')));
      if (!this.iterator) {
        // The app has not returned yet (it may be awaiting its own write()).
        await Promise.race([this.bodyReady, woken]);
        this.wake = null;
        continue;
      }
      // A generator may await write() inside next(): wait for whichever comes first.
      this.pendingNext ??= Promise.resolve(this.iterator.next());
      const winner = await Promise.race([this.pendingNext, woken]);
      this.wake = null;
      if (winner === 'write') continue;
      this.pendingNext = null;
      if (winner.done) {
        this.ended = true;
        if (this.writes.length > 0) continue;
        return null;
      }
      const chunk = winner.value;
      if (!(chunk instanceof Uint8Array)) throw new InterfaceViolation('RESP-7', `body chunk is ${typeof chunk}`);
      if (chunk.length > 0) return chunk;
    }
  }

  /** Calls the app's close() exactly once (APP-3). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const close = this.body?.close;
    if (typeof close === 'function') await close.call(this.body);
  }
}

/**
 * Runs a TSGI app where a fetch handler is expected (Deno.serve, Bun.serve,
 * Cloudflare Workers, Hono's `app.mount`). The environ is built from the
 * Request and its URL, `tsgi.input` reads `request.body` as the app asks,
 * the Response is returned once the first non-empty chunk exists (RESP-6),
 * and its body is a stream pulled from the app lazily. close() runs once:
 * at the end, on error, or when the consumer cancels the body.
 */
export function toFetch(app: App, options: ToFetchOptions = {}): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const environ = environFromRequest(request, url, options);
    if (environ === null) return textResponse(400, 'Bad Request: the path is not valid UTF-8 or outside SCRIPT_NAME');
    const errors = environ['tsgi.errors'];
    const ex = new Exchange();
    let first: Uint8Array | null;
    try {
      ex.run(app, environ);
      first = await ex.nextChunk();
      if (!ex.started) throw new InterfaceViolation('APP-4', 'the body produced output or ended before startResponse');
    } catch (error) {
      await ex.close().catch(() => undefined);
      errors.write(`${error instanceof InterfaceViolation ? describeViolation(error.rule, error.seen) : `tsgi: app error before headers: ${asError(error).stack ?? messageOf(error)}`}\n`);
      return textResponse(500, 'Internal Server Error');
    }
    ex.committed = true;
    const code = Number(ex.status.slice(0, 3));
    const headers = new Headers();
    try {
      for (const [name, value] of ex.headers) if (!HOP_BY_HOP.has(name.toLowerCase())) headers.append(name, value);
    } catch (error) {
      await ex.close().catch(() => undefined);
      errors.write(`${describeViolation('RESP-3', messageOf(error))}\n`);
      return textResponse(500, 'Internal Server Error');
    }
    const init = { status: code, statusText: ex.status.slice(4), headers };
    if (request.method === 'HEAD' || NULL_BODY.has(code) || first === null) {
      await ex.close();
      return new Response(null, init);
    }
    let pending: Uint8Array | null = first;
    const stream = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const chunk = pending ?? (await ex.nextChunk());
            pending = null;
            if (chunk === null) {
              controller.close();
              await ex.close();
            } else {
              controller.enqueue(chunk);
            }
          } catch (error) {
            errors.write(`tsgi: app error after headers, response cut: ${messageOf(error)}\n`);
            controller.error(error);
            await ex.close().catch(() => undefined);
          }
        },
        cancel: () => ex.close(),
      },
      { highWaterMark: 0 },
    );
    return new Response(stream, init);
  };
}
