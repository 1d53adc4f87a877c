import type { ProxyConfig } from '../config/config.js';
import type { UpstreamGroup } from '../upstream/upstream-group.js';
import type { Endpoint } from '../upstream/endpoint.js';
import type { ProxyErrorCode } from '../errors.js';
import type { EdgeRoute } from '../policy/edge-request.js';
import type { Encoding } from '../policy/compression.js';
import type { ClientInfo } from '../listener/edge-listener.js';
import type { BodyBudget } from '../upstream/body-shield.js';
import type { ErrorAnswers } from '../policy/error-answers.js';
import type { RequestHead } from '@tsgi/http1';
import type { ServerSpan } from '@tsgi/arbiter';
import type { SpanStarter } from '../policy/trace-context.js';

/** What routing found: the upstream group and the route's edge settings. */
export interface RouteMatch {
  group: UpstreamGroup;
  edge: EdgeRoute;
}

/** One finished request, for the access log and metrics. */
export interface ExchangeRecord {
  method: string;
  target: string;
  host: string;
  remote: string;
  status: number;
  group: string;
  endpoint: string;
  attempts: number;
  durationMs: number;
  bytesOut: number;
  error: ProxyErrorCode | null;
  /** What went wrong beyond the code (`ECONNREFUSED`, the timeout that fired): logged, never sent unless `debug`. */
  detail?: string | null;
  /** W3C trace id and X-Request-Id sent upstream ('-' when none, e.g. refused before routing). */
  traceId: string;
  requestId: string;
  /** `HTTP/1.1`, `HTTP/2.0`; '-' when refused before parsing. */
  protocol?: string;
  /** The parsed request head (access-log header fields read from it only when a format asks); null when refused before parsing. */
  head?: RequestHead | null;
  /** Request bytes read from the client: head plus body. */
  bytesIn?: number;
  /** The last attempt's time to an upstream connection (0: a pooled one), in ms; -1 when none was had. */
  connectMs?: number;
  /** The last attempt's time from its start to the upstream's response head, in ms; -1 when none came. */
  headerMs?: number;
  /** When the exchange started (epoch ms). */
  startedAt?: number;
  /** This hop's exported span, ended with the record (traces on). */
  span?: ServerSpan | null;
}

/**
 * What a client connection needs from its worker: the current config and
 * routes (swapped atomically on reload), trust decisions, and the sinks for
 * records, retries and ejections.
 */
export interface ProxyContext {
  config: ProxyConfig;
  /** The proxy's own answers where no route applies (refused heads, no route). */
  readonly errors: ErrorAnswers;
  route(host: string, target: string): RouteMatch | null;
  isTrusted(peer: string): boolean;
  draining: boolean;
  /** Starts a request's span when traces are exported (OTEL_EXPORTER_OTLP_*ENDPOINT), else null. */
  readonly startSpan: SpanStarter | null;
  onRecord(record: ExchangeRecord): void;
  onRetry(group: string, reason: ProxyErrorCode | 'status'): void;
  /** Edge refusals and delays, for metrics: `denied` by access rules, `limited`/`delayed` by a zone. */
  onEdge(event: 'denied' | 'limited' | 'delayed', label: string, kind?: 'req' | 'conn'): void;
  /** One response compressed at the edge: body bytes from the upstream and bytes sent. */
  onCompressed(encoding: Encoding, bytesIn: number, bytesOut: number): void;
  onUpstreamFailure(ep: Endpoint, code: ProxyErrorCode | 'status'): void;
  /** Request body bytes held at the edge by this worker (`requestBody.maxBuffered`). */
  readonly bodyBudget: BodyBudget;
  /** Connection bookkeeping for timeouts and drain. */
  connections: Set<LiveConnection>;
}

/** A client connection (HTTP/1.1) or stream (HTTP/2) the worker sweeps for timeouts and drains. */
export interface LiveConnection {
  readonly deadline: number;
  /** Who it is and which listener accepted it. */
  readonly info: ClientInfo;
  onTimeout(now: number): void;
  /** Closes it now when nothing is in flight (true), else makes the response in flight its last. */
  closeIfIdle(): boolean;
  destroy(): void;
}
