import type { App, Environ, ResponseBody, ResponseHeaders } from '../types.js';
import { PROXY_HOP_BY_HOP_FIELDS as HOP_BY_HOP, reasonPhrase } from '@tsgi/http1';
import { streamFromInput } from './fetch-body.js';

/** A fetch-style handler: what Hono, itty-router, Remix and Deno/Bun apps export. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

const ENCODER = new TextEncoder();
const NO_BODY_METHODS = new Set(['GET', 'HEAD']);

/** The request URL; RAW_URI keeps `%2F` and friends exact unless a middleware rewrote the path. */
function requestUrl(environ: Environ): string {
  const scheme = environ['tsgi.url_scheme'];
  const host =
    environ.HTTP_HOST ??
    (environ.SERVER_PORT === (scheme === 'https' ? '443' : '80') ? environ.SERVER_NAME : `${environ.SERVER_NAME}:${environ.SERVER_PORT}`);
  const full = environ.SCRIPT_NAME + environ.PATH_INFO;
  const raw = typeof environ.RAW_URI === 'string' ? environ.RAW_URI : '';
  let path: string;
  const rawPath = raw.startsWith('/') ? (raw.split('?', 1)[0] ?? '') : '';
  if (rawPath !== '' && safeDecode(rawPath) === full) path = rawPath;
  else path = encodeURI(full).replace(/[?#]/g, (c) => (c === '?' ? '%3F' : '%23'));
  const query = environ.QUERY_STRING;
  return `${scheme}://${host}${path}${query ? `?${query}` : ''}`;
}

function safeDecode(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

function requestHeaders(environ: Environ): Headers {
  const headers = new Headers();
  for (const key of Object.keys(environ)) {
    if (!key.startsWith('HTTP_')) continue;
    const value = environ[key as `HTTP_${string}`];
    if (typeof value !== 'string') continue;
    headers.append(key.slice(5).replace(/_/g, '-').toLowerCase(), value);
  }
  if (environ.CONTENT_TYPE !== undefined) headers.set('content-type', environ.CONTENT_TYPE);
  if (environ.CONTENT_LENGTH !== undefined) headers.set('content-length', environ.CONTENT_LENGTH);
  return headers;
}

function hasBody(environ: Environ): boolean {
  if (NO_BODY_METHODS.has(environ.REQUEST_METHOD)) return false;
  if (environ.CONTENT_LENGTH !== undefined) return environ.CONTENT_LENGTH !== '0';
  return environ.HTTP_TRANSFER_ENCODING !== undefined;
}

/** Response headers as TSGI pairs: every Set-Cookie kept apart, hop-by-hop ones dropped (RESP-4). */
function responseHeaders(response: Response): ResponseHeaders {
  const out: ResponseHeaders = [];
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie' || HOP_BY_HOP.has(name)) return;
    out.push([name, value]);
  });
  for (const cookie of response.headers.getSetCookie()) out.push(['set-cookie', cookie]);
  return out;
}

/**
 * The response body as TSGI sees it: chunks pulled from the Response stream
 * one at a time, and close() (APP-3) cancelling the stream and aborting the
 * Request's signal when the server stops early (client gone, error, HEAD).
 */
class FetchResponseBody implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  private reader: ReadableStreamDefaultReader<unknown> | null;
  private finished = false;

  constructor(
    stream: ReadableStream<unknown> | null,
    private readonly controller: AbortController,
  ) {
    this.reader = stream ? stream.getReader() : null;
    if (!this.reader) this.finished = true;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.finished || !this.reader) return { done: true, value: undefined };
    const { done, value } = await this.reader.read();
    if (done) {
      this.finished = true;
      return { done: true, value: undefined };
    }
    const chunk =
      value instanceof Uint8Array ? value
      : typeof value === 'string' ? ENCODER.encode(value)
      : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
      : value instanceof ArrayBuffer ? new Uint8Array(value)
      : null;
    if (chunk === null) throw new TypeError(`fromFetch: the Response body yielded a ${typeof value}, not bytes`);
    return { done: false, value: chunk };
  }

  async close(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.controller.abort(new Error('tsgi: response closed before it was complete'));
    await this.reader?.cancel().catch(() => undefined);
  }
}

/**
 * Runs a fetch-style handler (e.g. a Hono app's `app.fetch`) as a TSGI app.
 * The request body streams from `tsgi.input` into `request.body` as the
 * handler reads it; the response body streams out chunk by chunk; each
 * Set-Cookie stays its own header; `request.signal` aborts when the server
 * calls close() before the body was complete.
 */
export function fromFetch(handler: FetchHandler): App {
  return async (environ, startResponse): Promise<ResponseBody> => {
    const controller = new AbortController();
    const init: RequestInit & { duplex?: 'half' } = {
      method: environ.REQUEST_METHOD,
      headers: requestHeaders(environ),
      signal: controller.signal,
    };
    if (hasBody(environ)) {
      init.body = streamFromInput(environ['tsgi.input'], controller.signal);
      init.duplex = 'half';
    }
    const response = await handler(new Request(requestUrl(environ), init));
    if (!(response instanceof Response)) {
      throw new TypeError(`fromFetch: the handler resolved ${typeof response}, not a Response`);
    }
    const reason = response.statusText || reasonPhrase(response.status);
    startResponse(`${response.status} ${reason}`, responseHeaders(response));
    return new FetchResponseBody(response.body, controller);
  };
}
