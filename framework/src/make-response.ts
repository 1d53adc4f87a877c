import type { ResponseBody, ResponseHeaders } from '@tsgi/gateway';
import { ResponseTypeError } from './errors.js';
import { HeaderList, type HeadersInit } from './headers.js';
import { HTML_TYPE, JSON_TYPE, Response, toResponseBody, type BodyChunk } from './response.js';
import { statusLine } from './status.js';
import type { HandlerResult } from './types.js';

// `[body, status]` / `[body, status, headers]`, as Flask's tuples. A JSON array
// of that shape (rare: a body-like first item and a status-like number) must
// be returned with json([...]).
function isTuple(value: readonly unknown[]): value is readonly [HandlerResult, number, HeadersInit?] {
  if (value.length !== 2 && value.length !== 3) return false;
  const [body, status, headers] = value;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 999) return false;
  if (body === null || typeof body === 'number' || typeof body === 'boolean' || body === undefined) return false;
  return headers === undefined || (typeof headers === 'object' && headers !== null);
}

function isWhatwgResponse(value: unknown): value is globalThis.Response {
  return typeof globalThis.Response === 'function' && value instanceof globalThis.Response;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an instance of ${value.constructor?.name ?? 'Object'}` : typeof value;
}

/** Turns whatever a handler returned into a `Response` (Flask's `make_response`). */
export function makeResponse(result: HandlerResult): Response {
  if (result instanceof Response) return result;
  if (typeof result === 'string' || result instanceof Uint8Array) return new Response(result);
  if (result === null || result === undefined || typeof result !== 'object') throw new ResponseTypeError(describe(result));
  if (Array.isArray(result)) {
    if (isTuple(result)) {
      const [body, status, headers] = result;
      const response = makeResponse(body);
      response.status = status;
      if (headers !== undefined) {
        for (const [name, value] of new HeaderList(headers)) {
          if (name.toLowerCase() === 'content-type') response.headers.set(name, value);
          else response.headers.append(name, value);
        }
      }
      return response;
    }
    return new Response(`${JSON.stringify(result)}\n`, { contentType: JSON_TYPE });
  }
  if (isWhatwgResponse(result)) {
    const headers: Array<[string, string]> = [];
    result.headers.forEach((value, name) => {
      if (name !== 'set-cookie') headers.push([name, value]);
    });
    for (const cookie of result.headers.getSetCookie()) headers.push(['set-cookie', cookie]);
    const response = new Response(result.body === null ? '' : (result.body as unknown as AsyncIterable<Uint8Array>), { status: result.status, headers, contentType: result.headers.get('content-type') ?? HTML_TYPE });
    return response;
  }
  if (Symbol.asyncIterator in result) return new Response(result as AsyncIterable<BodyChunk>);
  if (Symbol.iterator in result && !(result instanceof Map) && !(result instanceof Set)) return new Response(result as Iterable<BodyChunk>);
  return new Response(`${JSON.stringify(result)}\n`, { contentType: JSON_TYPE });
}

/** The TSGI status, header pairs and body of a response. */
export function responseToTsgi(response: Response): [string, ResponseHeaders, ResponseBody] {
  const headers = response.headers.pairs.slice();
  const bodyless = response.status === 204 || response.status === 304 || response.status < 200;
  const setLength = !bodyless && !response.headers.has('Content-Length');
  const body = bodyless ? [] : toResponseBody(response.body, headers, setLength);
  return [statusLine(response.status), headers, body];
}

/**
 * The fast path for the common results (a string or a JSON object) when no
 * hook needs a Response object: no HeaderList, no copies. Undefined when the
 * result needs the general path.
 */
export function fastTsgi(result: HandlerResult): [string, ResponseHeaders, ResponseBody] | undefined {
  if (typeof result === 'string') {
    const bytes = Buffer.from(result, 'utf8');
    return ['200 OK', [['Content-Type', HTML_TYPE], ['Content-Length', String(bytes.length)]], [bytes]];
  }
  if (result !== null && typeof result === 'object' && Object.getPrototypeOf(result) === Object.prototype && !(Symbol.asyncIterator in result) && !(Symbol.iterator in result)) {
    const bytes = Buffer.from(`${JSON.stringify(result)}\n`, 'utf8');
    return ['200 OK', [['Content-Type', JSON_TYPE], ['Content-Length', String(bytes.length)]], [bytes]];
  }
  return undefined;
}
