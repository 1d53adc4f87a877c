import type { ResponseBody, ResponseHeaders } from '@tsgi/gateway';
import { serializeCookie, type CookieOptions } from './cookies.js';
import { HeaderList, type HeadersInit } from './headers.js';
import { escapeHtml } from './html.js';

/** A chunk a handler may yield: strings are encoded as UTF-8. */
export type BodyChunk = string | Uint8Array;

/** What a `Response` body may be: whole (string, bytes) or streamed (sync or async iterable of chunks). */
export type BodyInit = string | Uint8Array | Iterable<BodyChunk> | AsyncIterable<BodyChunk> | null | undefined;

export interface ResponseInit {
  status?: number;
  headers?: HeadersInit;
  /** Sets Content-Type (`text/html; charset=utf-8` when neither this nor a Content-Type header is given). */
  contentType?: string;
  /** Sets Content-Type from a media type, adding `; charset=utf-8` for text types as Werkzeug does. */
  mimetype?: string;
}

// Werkzeug's get_content_type: these (and text/*, *+xml) get a charset.
const CHARSET_TYPES = new Set(['application/ecmascript', 'application/javascript', 'application/sql', 'application/xml', 'application/xml-dtd', 'application/xml-external-parsed-entity']);

/** `text/plain` → `text/plain; charset=utf-8`; other types unchanged (Werkzeug's get_content_type). */
export function contentTypeFor(mimetype: string): string {
  if (mimetype.includes('charset')) return mimetype;
  if (mimetype.startsWith('text/') || CHARSET_TYPES.has(mimetype) || mimetype.endsWith('+xml')) return `${mimetype}; charset=utf-8`;
  return mimetype;
}

export const HTML_TYPE = 'text/html; charset=utf-8';
export const JSON_TYPE = 'application/json';

/**
 * An HTTP response under construction, like Flask's `Response`. Handlers may
 * return one, and after-request hooks receive and return one.
 */
export class Response {
  status: number;
  readonly headers: HeaderList;
  body: BodyInit;

  constructor(body?: BodyInit, init: ResponseInit = {}) {
    this.body = body;
    this.status = init.status ?? 200;
    if (!Number.isInteger(this.status) || this.status < 100 || this.status > 999) {
      throw new TypeError(`response status must be an integer 100..999, got ${String(init.status)}`);
    }
    this.headers = new HeaderList(init.headers);
    if (init.contentType !== undefined) this.headers.set('Content-Type', init.contentType);
    else if (init.mimetype !== undefined) this.headers.set('Content-Type', contentTypeFor(init.mimetype));
    else this.headers.setDefault('Content-Type', HTML_TYPE);
  }

  get contentType(): string | undefined {
    return this.headers.get('Content-Type');
  }

  set contentType(value: string) {
    this.headers.set('Content-Type', value);
  }

  /** The media type without parameters. */
  get mimetype(): string | undefined {
    return this.headers.get('Content-Type')?.split(';')[0]!.trim();
  }

  set mimetype(value: string) {
    this.headers.set('Content-Type', contentTypeFor(value));
  }

  /** Adds a Set-Cookie header (all RFC 6265bis attributes; see CookieOptions). */
  setCookie(name: string, value: string, options?: CookieOptions): this {
    this.headers.append('Set-Cookie', serializeCookie(name, value, options));
    return this;
  }

  /** Expires a cookie in the browser; pass the same path/domain it was set with. */
  deleteCookie(name: string, options: Omit<CookieOptions, 'maxAge' | 'expires'> = {}): this {
    return this.setCookie(name, '', { ...options, maxAge: 0, expires: 0 });
  }
}

const NON_URI = /[^\x21-\x7e]/g;

/** A redirect with Werkzeug's HTML body; `location` is made URI-safe (IRIs percent-encoded). */
export function redirect(location: string, status = 302): Response {
  const uri = location.replace(NON_URI, (ch) => encodeURIComponent(ch));
  const safe = escapeHtml(uri);
  const body =
    '<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n' +
    `<p>You should be redirected automatically to the target URL: <a href="${safe}">${safe}</a>. If not, click the link.\n`;
  return new Response(body, { status, headers: [['Location', uri]] });
}

/** Encodes a whole body once; streamed bodies are wrapped so string chunks become UTF-8 bytes. */
export function toResponseBody(body: BodyInit, headers: ResponseHeaders, setLength: boolean): ResponseBody {
  if (body === null || body === undefined || body === '') {
    if (setLength) headers.push(['Content-Length', '0']);
    return [];
  }
  if (typeof body === 'string') {
    const bytes = Buffer.from(body, 'utf8');
    if (setLength) headers.push(['Content-Length', String(bytes.length)]);
    return [bytes];
  }
  if (body instanceof Uint8Array) {
    if (setLength) headers.push(['Content-Length', String(body.length)]);
    return [body];
  }
  if (Symbol.asyncIterator in body) return encodeAsync(body);
  return encodeSync(body);
}

function encodeAsync(source: AsyncIterable<BodyChunk>): ResponseBody {
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  const body = {
    [Symbol.asyncIterator]() {
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          const step = await iterator.next();
          if (step.done) {
            done = true;
            return { done: true, value: undefined };
          }
          return { done: false, value: typeof step.value === 'string' ? Buffer.from(step.value, 'utf8') : step.value };
        },
      };
    },
    // The server calls close() on client abort: finish the generator so its finally blocks run.
    async close() {
      if (!done && typeof iterator.return === 'function') {
        done = true;
        await iterator.return(undefined);
      }
    },
  };
  return body;
}

function encodeSync(source: Iterable<BodyChunk>): ResponseBody {
  const chunks: Uint8Array[] = [];
  for (const chunk of source) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  return chunks;
}
