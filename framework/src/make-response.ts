import type { ResponseBody, ResponseHeaders } from '@tsgi/gateway';
import { ResponseTypeError } from './errors.js';
import { HeaderList, type HeadersInit } from './headers.js';
import type { JsonProvider } from './json-provider.js';
import { HTML_TYPE, Response, toResponseBody, type BodyChunk } from './response.js';
import { statusLine } from './status.js';
import type { HandlerResult } from './types.js';

function isStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 999;
}

function isHeaders(value: unknown): value is HeadersInit {
  if (value instanceof HeaderList) return true;
  if (Array.isArray(value)) return value.every((pair) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string');
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

// `[body, status]`, `[body, headers]`, `[body, status, headers]`, as Flask's tuples.
// A JSON array of that shape (a body-like first item, then a status-like number or
// a headers-like object) must be returned with json([...]).
function asTuple(value: readonly unknown[]): { body: HandlerResult; status: number | undefined; headers: HeadersInit | undefined } | undefined {
  if (value.length !== 2 && value.length !== 3) return undefined;
  const [body, second, third] = value;
  if (body === null || typeof body === 'number' || typeof body === 'boolean' || body === undefined) return undefined;
  if (value.length === 3) return isStatus(second) && isHeaders(third) ? { body: body as HandlerResult, status: second, headers: third } : undefined;
  if (isStatus(second)) return { body: body as HandlerResult, status: second, headers: undefined };
  if (typeof body === 'string' && isHeaders(second)) return { body, status: undefined, headers: second };
  return undefined;
}

function isWhatwgResponse(value: unknown): value is globalThis.Response {
  return typeof globalThis.Response === 'function' && value instanceof globalThis.Response;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an instance of ${value.constructor?.name ?? 'Object'}` : typeof value;
}

/** Turns whatever a handler returned into a `Response` (Flask's `make_response`); JSON through the app's provider. */
export function makeResponse(result: HandlerResult, json: JsonProvider): Response {
  if (result instanceof Response) return result;
  if (typeof result === 'string' || result instanceof Uint8Array) return new Response(result);
  if (result === null || result === undefined || typeof result !== 'object') throw new ResponseTypeError(describe(result));
  if (Array.isArray(result)) {
    const tuple = asTuple(result);
    if (tuple === undefined) return json.response(result);
    const response = makeResponse(tuple.body, json);
    if (tuple.status !== undefined) response.status = tuple.status;
    if (tuple.headers !== undefined) {
      // Werkzeug's Headers.update: each name given replaces what the body set.
      const given = new HeaderList(tuple.headers);
      for (const name of new Set(given.pairs.map(([key]) => key.toLowerCase()))) response.headers.delete(name);
      response.headers.extend(given);
    }
    return response;
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
  return json.response(result);
}

/** The TSGI status, header pairs and body of a response. */
// Werkzeug's remove_entity_headers for 304: what describes a body that is not sent goes.
const NOT_MODIFIED_DROPPED = new Set(['allow', 'content-encoding', 'content-language', 'content-length', 'content-md5', 'content-range', 'content-type', 'last-modified']);

export function responseToTsgi(response: Response): [string, ResponseHeaders, ResponseBody] {
  const headers = response.status === 304 ? response.headers.pairs.filter(([name]) => !NOT_MODIFIED_DROPPED.has(name.toLowerCase())) : response.headers.pairs.slice();
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
export function fastTsgi(result: HandlerResult, json: JsonProvider): [string, ResponseHeaders, ResponseBody] | undefined {
  if (typeof result === 'string') {
    const bytes = Buffer.from(result, 'utf8');
    return ['200 OK', [['Content-Type', HTML_TYPE], ['Content-Length', String(bytes.length)]], [bytes]];
  }
  if (result !== null && typeof result === 'object' && Object.getPrototypeOf(result) === Object.prototype && !(Symbol.asyncIterator in result) && !(Symbol.iterator in result)) {
    const bytes = Buffer.from(json.responseText(result), 'utf8');
    return ['200 OK', [['Content-Type', json.mimetype], ['Content-Length', String(bytes.length)]], [bytes]];
  }
  return undefined;
}
