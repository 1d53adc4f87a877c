import type { Server } from 'node:net';
import type { GatewayErrorCode } from './errors.js';
import type { App, Environ, ErrorStream, ResponseHeaders } from './types.js';

/** Request limits, named and defaulted as gunicorn's (SRV-4). */
export interface RequestLimits {
  /** Longest request line in bytes (gunicorn --limit-request-line, 4094); over it: 414. */
  requestLine: number;
  /** Most header fields (gunicorn --limit-request-fields, 100); over it: 431. */
  fields: number;
  /** Longest header field line in bytes (gunicorn --limit-request-field-size, 8190); over it: 431. */
  fieldSize: number;
  /**
   * Largest request body in bytes; over it: 413, before the app runs when
   * declared. Default 100 MiB (the proxy's `limits.maxBodyBytes` and the
   * appserver's `--limit-request-body`); Infinity: no limit, for apps that
   * stream large uploads (a `read()` without a size still stops at 100 MiB).
   */
  body: number;
  /** Whole request head in bytes, request line included (nginx's 4 × 8k, 32768); over it: 431. */
  headBytes: number;
}

export const DEFAULT_LIMITS: Readonly<RequestLimits> = Object.freeze({
  requestLine: 4094,
  fields: 100,
  fieldSize: 8190,
  body: 100 * 1024 * 1024,
  headBytes: 32 * 1024,
});

/** What the server knows about one finished request: the input of access logs and metrics. */
export interface RequestRecord {
  environ: Environ;
  /** Numeric status sent (0 if the connection died before a status line went out). */
  status: number;
  responseHeaders: ResponseHeaders;
  /** Body bytes written to the socket. */
  bytesSent: number;
  /** `performance.now()` when the request head was parsed. */
  startedAt: number;
  durationMs: number;
  /** The client went away before the response was complete. */
  aborted: boolean;
  /** An app or interface error, if one ended the response. */
  error?: unknown;
}

/** Hooks a hosting program (appserver) uses for logs, metrics and timeout diagnostics. */
export interface ServerHooks {
  /** A request head was parsed and the app is about to be called. */
  onRequestStart?(environ: Environ): void;
  /** The response finished, failed or was aborted; called exactly once per request. */
  onRequestEnd?(record: RequestRecord): void;
  /** A request was refused before any app ran (400/413/414/431/501...). */
  onProtocolError?(info: { status: number; code: GatewayErrorCode; remoteAddress: string }): void;
}

export interface ServerOptions {
  host?: string;
  port?: number;
  limits?: Partial<RequestLimits>;
  /** Idle keep-alive connections are closed after this many ms (gunicorn --keep-alive). */
  keepAliveTimeoutMs?: number;
  /** A request head must arrive completely within this many ms (slowloris guard). */
  headersTimeoutMs?: number;
  /**
   * Longest gap between request body bytes while the app waits for input
   * (nginx client_body_timeout, default 60000). When it passes: 408 if no
   * response has started, else the connection is closed.
   */
  bodyTimeoutMs?: number;
  /**
   * Longest wait for a client to take response bytes (nginx send_timeout,
   * default 60000): a write that has waited this long for 'drain' closes the connection.
   */
  sendTimeoutMs?: number;
  urlScheme?: 'http' | 'https';
  /** Value of tsgi.multiprocess (true under the pre-fork appserver). */
  multiprocess?: boolean;
  /** SERVER_NAME when the Host header is absent (HTTP/1.0). */
  serverName?: string;
  /** Sink for tsgi.errors; stderr if omitted. */
  errors?: ErrorStream;
  /**
   * Peers (IPs, CIDRs or '*') whose X-Forwarded-Proto is believed for
   * tsgi.url_scheme, as gunicorn's --forwarded-allow-ips. Default: 127.0.0.1 and ::1.
   */
  forwardedAllowIps?: readonly string[];
  hooks?: ServerHooks;
}

/** A TSGI server: a `net.Server` that speaks HTTP/1.1 to clients and TSGI to one app. */
export interface TsgiServer extends Server {
  /**
   * Graceful stop: stop accepting, close idle keep-alive connections, let
   * in-flight requests finish (then close their connections), force-close
   * whatever is left after `graceMs`. Resolves when every connection is gone.
   */
  drain(graceMs: number): Promise<void>;
  /** Requests whose response has not finished yet. */
  readonly inFlight: number;
}

/** What `serve()` resolves to. */
export interface RunningServer {
  server: TsgiServer;
  host: string;
  port: number;
  /** e.g. `http://127.0.0.1:8000/` */
  url: string;
  /** Graceful close (drain with a short grace period). */
  close(graceMs?: number): Promise<void>;
}

export type CreateServer = (app: App, options?: ServerOptions) => TsgiServer;
