import type { InterfaceViolation } from '../errors.js';
import type { ServerHooks } from '../server-types.js';
import type { ErrorStream, ResponseBody, ResponseHeaders } from '../types.js';

/**
 * How an engine puts a response on the wire. The exchange decides what is
 * sent (status, headers, bytes, truncation); the sink decides framing
 * (Content-Length, chunked, close-delimited) and owns the connection.
 * Methods marked terminal end the response; exactly one of them is called.
 */
export interface ResponseSink {
  /**
   * Terminal. Head and a complete body at once. `addLength` >= 0: add that
   * Content-Length header (the app set none); -1: add none. `chunks` null: no body bytes.
   */
  sendAll(code: number, status: string, headers: ResponseHeaders, addLength: number, chunks: Uint8Array[] | null): void;
  /** Head of a streamed body. `fixed`: the app declared Content-Length or the response has no body. */
  sendHead(code: number, status: string, headers: ResponseHeaders, fixed: boolean, noBody: boolean): void;
  /** A body chunk; false when the socket buffer is full (await waitDrain). */
  write(chunk: Uint8Array): boolean;
  /** Resolves when the socket drained or the client went away. */
  waitDrain(): Promise<void>;
  /** Terminal. End of a streamed body; `complete` false: fewer bytes than declared, close the connection (RESP-8). */
  endBody(complete: boolean): void;
  /** Terminal. Cut the connection mid-response so the client sees it incomplete (SRV-5). */
  cut(): void;
  /** Terminal. A server-made error response (nothing was sent yet); closes the connection. */
  sendError(code: number, message: string): void;
}

/** What an exchange needs from its server. */
export interface ExchangeHost {
  readonly errors: ErrorStream;
  readonly hooks: ServerHooks;
  /** Called once when the exchange is over (after onRequestEnd). */
  exchangeDone(): void;
}

/**
 * The state of one response that the body half (response-body.ts) reads and
 * drives; Exchange implements it. An interface, so the two files do not
 * import each other.
 */
export interface BodyExchange {
  code: number;
  status: string;
  headers: ResponseHeaders;
  sent: number;
  started: boolean;
  headersSent: boolean;
  done: boolean;
  bodyClosed: boolean;
  declared: number;
  noBody: boolean;
  violation: InterfaceViolation | null;
  overrunLogged: boolean;
  body: ResponseBody | null;
  iterator: Iterator<unknown> | AsyncIterator<unknown> | null;
  iteratorFinished: boolean;
  readonly sink: ResponseSink;
  readonly isHead: boolean;
  record(v: InterfaceViolation): InterfaceViolation;
  fail(err: unknown): void;
  finish(): void;
  log(message: string): void;
}
