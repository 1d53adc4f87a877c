import { ROUTE_KEY, type Environ, type RequestRecord, type ServerHooks } from '@tsgi/gateway';
import { compileAccessFormat, type AccessEntry } from './access-log-format.js';
import type { Logs } from './logger.js';
import type { WorkerMetrics } from './worker-metrics.js';
import type { WorkerRuntime } from '@tsgi/arbiter';
import type { RequestSpans } from './request-spans.js';

/**
 * Turns request start/end events from any host (TSGI server hooks or the
 * node:http wrapper) into runtime accounting, metrics and access log lines.
 */
export class RequestObserver {
  /** The runtime's token per request in flight, by environ (a Map: cheaper per request than a WeakMap; finished() deletes). */
  private readonly tokens = new Map<object, number>();
  private readonly format: ((e: AccessEntry) => string) | undefined;

  constructor(
    private readonly runtime: WorkerRuntime<unknown>,
    private readonly metrics: WorkerMetrics,
    private readonly logs: Logs,
    accessLogformat: string,
    /** Spans per request when traces are exported (null: off, nothing is done per request). */
    private readonly spans: RequestSpans | null = null,
  ) {
    this.format = logs.access ? compileAccessFormat(accessLogformat) : undefined;
  }

  /** True when spans are exported: only then is the request's traceparent worth reading (a lazy environ or Node's headers object builds on first read). */
  get traces(): boolean {
    return this.spans !== null;
  }

  started(key: object, method: string, target: string, remote: string, traceparent: unknown): void {
    this.tokens.set(key, this.runtime.requestStarted(`${method} ${target}`, remote));
    if (this.spans !== null) this.spans.begin(key, method, target, traceparent, remote);
  }

  /** True when an access log is written: only then are access entries worth building. */
  get logsAccess(): boolean {
    return this.format !== undefined;
  }

  /** A request ended: runtime accounting (max-requests) and metrics. Cheap: no allocation but the metric's first use. */
  finished(key: object, method: string, status: number, durationMs: number, route: unknown): void {
    const token = this.tokens.get(key);
    if (token !== undefined) {
      this.tokens.delete(key);
      this.runtime.requestFinished(token);
    }
    this.metrics.observe(method, status, durationMs, route);
    if (this.spans !== null) this.spans.end(key, method, status, route);
  }

  /** The app took the connection over inside a route (no response): an upgrade, not a status-0 request. */
  upgradeEnded(key: object): void {
    const token = this.tokens.get(key);
    if (token !== undefined) this.runtime.requestFinished(token);
    this.spans?.drop(key);
    this.metrics.upgrade();
  }

  /** An `upgrade` event went to the app's upgrade listeners. */
  upgradeStarted(): void {
    this.metrics.upgrade();
  }

  /** Writes the access line; call only when `logsAccess`. */
  logAccess(entry: AccessEntry): void {
    this.logs.access!(this.format!(entry));
  }

  /** ServerHooks for `createServer` from @tsgi/gateway. */
  tsgiHooks(): ServerHooks {
    return {
      onRequestStart: (environ: Environ) => {
        this.started(environ, environ.REQUEST_METHOD, rawUri(environ), environ.REMOTE_ADDR, this.spans === null ? undefined : environ.HTTP_TRACEPARENT);
      },
      onRequestEnd: (record: RequestRecord) => {
        const env = record.environ;
        this.finished(env, env.REQUEST_METHOD, record.status, record.durationMs, env[ROUTE_KEY]);
        // The entry (a Date and three closures) is built only when an access log is on.
        if (this.format) this.logAccess(accessEntry(record));
      },
      onProtocolError: (info) => {
        this.metrics.protocolError(info.status);
        this.logs.error.debug({ status: info.status, code: info.code, remote: info.remoteAddress }, 'request refused');
      },
    };
  }
}

function accessEntry(record: RequestRecord): AccessEntry {
  const env = record.environ;
  return {
    remote: env.REMOTE_ADDR,
    method: env.REQUEST_METHOD,
    target: rawUri(env),
    protocol: env.SERVER_PROTOCOL,
    status: record.status,
    bytes: record.bytesSent,
    durationMs: record.durationMs,
    endedAt: new Date(),
    requestHeader: (name) => headerFromEnviron(env, name),
    responseHeader: (name) => {
      for (const [k, v] of record.responseHeaders) if (k.toLowerCase() === name) return v;
      return undefined;
    },
    variable: (name) => {
      const v = env[name];
      return typeof v === 'string' ? v : undefined;
    },
  };
}

function rawUri(env: Environ): string {
  const raw = env.RAW_URI;
  if (typeof raw === 'string') return raw;
  return env.QUERY_STRING ? `${env.SCRIPT_NAME}${env.PATH_INFO}?${env.QUERY_STRING}` : `${env.SCRIPT_NAME}${env.PATH_INFO}`;
}

function headerFromEnviron(env: Environ, name: string): string | undefined {
  if (name === 'content-type') return env.CONTENT_TYPE;
  if (name === 'content-length') return env.CONTENT_LENGTH;
  const v = env[`HTTP_${name.toUpperCase().replace(/-/g, '_')}`];
  return typeof v === 'string' ? v : undefined;
}
