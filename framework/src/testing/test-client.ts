import type { App as TsgiApp, Environ, ResponseHeaders } from '@tsgi/gateway';
import { BufferInputStream } from './input-stream.js';

export interface TestRequestOptions {
  method?: string;
  headers?: Record<string, string> | ReadonlyArray<readonly [string, string]>;
  /** Query parameters, or a raw query string. */
  query?: Record<string, string | number | readonly (string | number)[]> | string;
  /** Raw body (Content-Type is yours to set). */
  body?: string | Uint8Array;
  /** JSON body with Content-Type application/json. */
  json?: unknown;
  /** urlencoded form body. */
  form?: Record<string, string>;
  /** Follow redirects (up to 10) like a browser would. */
  followRedirects?: boolean;
  /** Extra or overridden environ keys (e.g. SCRIPT_NAME, REMOTE_ADDR). */
  environ?: Record<string, unknown>;
}

/** What the app answered, fully read. */
export class TestResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headerList: ResponseHeaders;
  readonly body: Buffer;
  /** Redirects followed before this response. */
  readonly history: readonly TestResponse[];

  constructor(statusLine: string, headers: ResponseHeaders, body: Buffer, history: readonly TestResponse[] = []) {
    this.status = Number(statusLine.slice(0, 3));
    this.statusText = statusLine.slice(4);
    this.headerList = headers;
    this.body = body;
    this.history = history;
  }

  /** The first header of that name (case-insensitive). */
  header(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.headerList.find(([key]) => key.toLowerCase() === lower)?.[1];
  }

  headerAll(name: string): string[] {
    const lower = name.toLowerCase();
    return this.headerList.filter(([key]) => key.toLowerCase() === lower).map(([, value]) => value);
  }

  get text(): string {
    return this.body.toString('utf8');
  }

  json<T = unknown>(): T {
    return JSON.parse(this.text) as T;
  }
}

interface StoredCookie {
  value: string;
  path: string;
  expires: number;
}

const SERVER = { name: 'localhost', port: '80' };

function silentErrors(): Environ['tsgi.errors'] {
  const lines: string[] = [];
  return { write: (message: string) => void lines.push(message), flush: () => undefined };
}

/**
 * Drives a TSGI app in-process (Flask's `test_client()`): builds a real
 * environ, calls the app, reads the body (sync or async), calls `close()`,
 * and keeps cookies between requests. Errors the app writes to tsgi.errors
 * are collected in `errors`.
 */
export class TestClient {
  readonly app: TsgiApp;
  readonly cookies = new Map<string, StoredCookie>();
  readonly errors: string[] = [];
  private readonly baseEnviron: Record<string, unknown>;

  constructor(app: TsgiApp, options: { environ?: Record<string, unknown> } = {}) {
    this.app = app;
    this.baseEnviron = options.environ ?? {};
  }

  get(path: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    return this.request(path, { ...options, method: 'GET' });
  }
  head(path: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    return this.request(path, { ...options, method: 'HEAD' });
  }
  post(path: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    return this.request(path, { ...options, method: 'POST' });
  }
  put(path: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    return this.request(path, { ...options, method: 'PUT' });
  }
  patch(path: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    return this.request(path, { ...options, method: 'PATCH' });
  }
  delete(path: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    return this.request(path, { ...options, method: 'DELETE' });
  }
  options(path: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    return this.request(path, { ...options, method: 'OPTIONS' });
  }

  async request(target: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    const history: TestResponse[] = [];
    let response = await this.once(target, options);
    while (options.followRedirects && [301, 302, 303, 307, 308].includes(response.status) && history.length < 10) {
      const location = response.header('Location');
      if (!location) break;
      history.push(response);
      const url = new URL(location, `http://${SERVER.name}${target}`);
      const keep = response.status === 307 || response.status === 308;
      response = await this.once(url.pathname + url.search, keep ? options : { method: 'GET', headers: options.headers, environ: options.environ });
    }
    return history.length ? new TestResponse(`${response.status} ${response.statusText}`, response.headerList, response.body, history) : response;
  }

  private async once(target: string, options: TestRequestOptions): Promise<TestResponse> {
    const method = (options.method ?? 'GET').toUpperCase();
    const [rawPath, rawQuery = ''] = target.split('?', 2) as [string, string?];
    let query = rawQuery;
    if (options.query !== undefined) {
      const extra = typeof options.query === 'string' ? options.query : encodeQuery(options.query);
      query = query ? `${query}&${extra}` : extra;
    }
    let body: Uint8Array = new Uint8Array(0);
    let contentType: string | undefined;
    if (options.json !== undefined) {
      body = Buffer.from(JSON.stringify(options.json));
      contentType = 'application/json';
    } else if (options.form !== undefined) {
      body = Buffer.from(new URLSearchParams(options.form).toString());
      contentType = 'application/x-www-form-urlencoded';
    } else if (options.body !== undefined) {
      body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
    }
    const environ: Record<string, unknown> = {
      REQUEST_METHOD: method,
      SCRIPT_NAME: '',
      PATH_INFO: decodeURIComponent(rawPath),
      QUERY_STRING: query,
      SERVER_NAME: SERVER.name,
      SERVER_PORT: SERVER.port,
      SERVER_PROTOCOL: 'HTTP/1.1',
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_PORT: '50000',
      RAW_URI: target,
      HTTP_HOST: SERVER.name,
      'tsgi.version': [1, 0],
      'tsgi.url_scheme': 'http',
      'tsgi.input': new BufferInputStream(body),
      'tsgi.errors': silentErrors(),
      'tsgi.multithread': false,
      'tsgi.multiprocess': false,
      'tsgi.run_once': false,
      'tsgi.input_terminated': true,
    };
    environ['tsgi.errors'] = { write: (message: string) => void this.errors.push(message), flush: () => undefined };
    if (body.length > 0 || options.json !== undefined || options.form !== undefined) environ['CONTENT_LENGTH'] = String(body.length);
    if (contentType) environ['CONTENT_TYPE'] = contentType;
    const headers = options.headers === undefined ? [] : Array.isArray(options.headers) ? options.headers : Object.entries(options.headers);
    for (const [name, value] of headers as Array<[string, string]>) {
      const key = name.toUpperCase().replace(/-/g, '_');
      if (key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH') environ[key] = value;
      else environ[`HTTP_${key}`] = environ[`HTTP_${key}`] !== undefined && key !== 'HOST' ? `${String(environ[`HTTP_${key}`])}, ${value}` : value;
    }
    const cookieHeader = this.cookieHeader(rawPath);
    if (cookieHeader && environ['HTTP_COOKIE'] === undefined) environ['HTTP_COOKIE'] = cookieHeader;
    Object.assign(environ, this.baseEnviron, options.environ);
    return this.call(environ as Environ);
  }

  private async call(environ: Environ): Promise<TestResponse> {
    let status: string | undefined;
    let responseHeaders: ResponseHeaders = [];
    const written: Uint8Array[] = [];
    const startResponse = (line: string, headers: ResponseHeaders, excInfo?: unknown) => {
      if (status !== undefined && excInfo === undefined) throw new Error('startResponse called twice without excInfo');
      status = line;
      responseHeaders = headers;
      return async (chunk: Uint8Array) => void written.push(chunk);
    };
    const body = await this.app(environ, startResponse);
    const chunks: Uint8Array[] = [...written];
    try {
      if (Symbol.asyncIterator in body) for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(chunk);
      else for (const chunk of body as Iterable<Uint8Array>) chunks.push(chunk);
    } finally {
      await body.close?.();
    }
    if (status === undefined) throw new Error('the app never called startResponse');
    for (const [name, value] of responseHeaders) if (name.toLowerCase() === 'set-cookie') this.storeCookie(value);
    return new TestResponse(status, responseHeaders, Buffer.concat(chunks));
  }

  private storeCookie(header: string): void {
    const [pair = '', ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let path = '/';
    let expires = Number.POSITIVE_INFINITY;
    for (const attribute of attributes) {
      const [key = '', ...rest] = attribute.split('=');
      const attrValue = rest.join('=').trim();
      const lower = key.trim().toLowerCase();
      if (lower === 'path') path = attrValue || '/';
      else if (lower === 'max-age') expires = Date.now() + Number(attrValue) * 1000;
      else if (lower === 'expires' && expires === Number.POSITIVE_INFINITY) expires = Date.parse(attrValue);
    }
    if (expires <= Date.now()) this.cookies.delete(name);
    else this.cookies.set(name, { value, path, expires });
  }

  private cookieHeader(path: string): string {
    const now = Date.now();
    const out: string[] = [];
    for (const [name, cookie] of this.cookies) {
      if (cookie.expires <= now) continue;
      if (path === cookie.path || path.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`)) out.push(`${name}=${cookie.value}`);
    }
    return out.join('; ');
  }

  /** Sets a cookie as if the server had (for tests that start logged in, or tamper). */
  setCookie(name: string, value: string, path = '/'): void {
    this.cookies.set(name, { value, path, expires: Number.POSITIVE_INFINITY });
  }
}

function encodeQuery(query: Record<string, string | number | readonly (string | number)[]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.append(key, String(value));
  }
  return params.toString();
}
