/**
 * The TSGI interface: PEP 3333 mapped to Node. Rule ids in comments (ENV-n,
 * APP-n, RESP-n, BODY-n, INPUT-n, SRV-n) refer to gateway/SPEC.md.
 */

/** One chunk of a body. Strings are not allowed (RESP-7): encoding is the app's job. */
export type Chunk = Uint8Array;

/** Response headers as ordered `[name, value]` pairs; names repeat for Set-Cookie (RESP-3). */
export type ResponseHeaders = Array<[string, string]>;

/**
 * The request body stream (INPUT-1..INPUT-5). Reading is pull-based so the
 * server applies backpressure to the socket: nothing is buffered beyond one
 * chunk unless the app asks for it. Reading past the end resolves an empty chunk.
 */
export interface InputStream extends AsyncIterable<Uint8Array> {
  /** Up to `size` bytes (all that remains if omitted); an empty array at end of body. */
  read(size?: number): Promise<Uint8Array>;
  /** Up to and including the next `\n`, or `limit` bytes; an empty array at end of body. */
  readLine(limit?: number): Promise<Uint8Array>;
}

/** `tsgi.errors`: a text sink for app diagnostics (ENV-14). */
export interface ErrorStream {
  write(message: string): void;
  flush(): void;
}

/** The CGI-style request variables every server must set (ENV-1..ENV-10). */
export interface CgiVariables {
  REQUEST_METHOD: string;
  SCRIPT_NAME: string;
  PATH_INFO: string;
  QUERY_STRING: string;
  CONTENT_TYPE?: string;
  CONTENT_LENGTH?: string;
  SERVER_NAME: string;
  SERVER_PORT: string;
  SERVER_PROTOCOL: string;
  REMOTE_ADDR: string;
  REMOTE_PORT?: string;
}

/** The `tsgi.*` keys every server must set (ENV-11..ENV-17). */
export interface TsgiVariables {
  'tsgi.version': readonly [1, 0];
  'tsgi.url_scheme': 'http' | 'https';
  'tsgi.input': InputStream;
  'tsgi.errors': ErrorStream;
  'tsgi.multithread': boolean;
  'tsgi.multiprocess': boolean;
  'tsgi.run_once': boolean;
  /** True: the server ends `tsgi.input` at the end of the body (always true for conforming servers). */
  'tsgi.input_terminated': boolean;
}

/**
 * The per-request dictionary passed to an app. `HTTP_*` keys carry request
 * headers (ENV-9); servers and middleware may add their own keys with a
 * dotted prefix (ENV-18), e.g. `tsgi.request_id`, `framework.route`.
 */
export type Environ = CgiVariables &
  TsgiVariables & {
    [header: `HTTP_${string}`]: string | undefined;
    [extension: string]: unknown;
  };

/**
 * `write(chunk)` as returned by startResponse (RESP-9): the imperative escape
 * hatch of PEP 3333. The promise resolves when the chunk was handed to the
 * socket without exceeding its buffer; apps that stream large data await it.
 */
export type Write = (chunk: Uint8Array) => Promise<void>;

/**
 * `startResponse(status, headers, excInfo?)` (RESP-1..RESP-8). Must be called
 * once before the first non-empty chunk; may be called again only with
 * `excInfo` (an error value), see RESP-5.
 */
export type StartResponse = (status: string, headers: ResponseHeaders, excInfo?: unknown) => Write;

/** What an app returns: a sync or async iterable of chunks, optionally closable (APP-2, APP-3). */
export type ResponseBody = (Iterable<Uint8Array> | AsyncIterable<Uint8Array>) & {
  close?: () => void | Promise<void>;
};

/**
 * A TSGI application (APP-1). It may return the body directly or a promise
 * of it, so `async` handlers can read the request before answering.
 */
export type App = (environ: Environ, startResponse: StartResponse) => ResponseBody | Promise<ResponseBody>;

/** A middleware factory: wraps an app and returns an app (APP-5). */
export type Middleware<Options = void> = (app: App, options: Options) => App;

/** The `tsgi.version` tuple this package implements. */
export const TSGI_VERSION = Object.freeze([1, 0] as const);
