import { AddressSet, parseCidr } from '@tsgi/http1';
import type { Logger } from 'pino';
import { errorCode } from '@tsgi/errors';
import { ClientConnection } from '../codec/h1-client.js';
import { H2StreamClient } from '../codec/h2-client.js';
import { dispatchH2Stream } from '../codec/h2-dispatch.js';
import { codeOf } from '../caught-errors.js';
import { refusalRecord } from '../exchange/access-record.js';
import { parseAddress, type ProxyConfig } from '../config/config.js';
import type { ProxyError, ProxyErrorCode } from '../errors.js';
import type { LocalAnswer } from '../policy/error-answers.js';
import { ProxyMetrics } from './metrics.js';
import type { ExchangeRecord, LiveConnection, ProxyContext } from '../route/proxy-context.js';
import { Router } from '../route/router.js';
import { UpstreamGroup, type GroupSnapshot } from '../upstream/upstream-group.js';
import { resolveFailure } from '../upstream/dns-discovery.js';
import type { Endpoint } from '../upstream/endpoint.js';
import type { RouteMatch } from '../route/proxy-context.js';
import { EdgeListeners } from '../listener/edge-listeners.js';
import { ErrorAnswers } from '../policy/error-answers.js';
import type { EndpointOverride } from '../upstream/endpoint-overrides.js';
import { EdgeMetrics } from './edge-metrics.js';
import { RequestTracing } from '@tsgi/arbiter';
import { rawLineWriter } from './logger.js';
import { AccessLogWriter } from '../telemetry/access-log-writer.js';
import { endExchangeSpan } from '../telemetry/exchange-span.js';
import type { SpanStarter } from '../policy/trace-context.js';
import { BodyBudget } from '../upstream/body-shield.js';
import { compressionPolicy, type CompressionSettings, type Encoding } from '../policy/compression.js';
import { EdgeZones, RoutePolicy, type LimitConnZone, type LimitReqZone } from '../policy/route-policy.js';

const TICK_MS = 50;

/** The bound address of one listener. */
export interface BoundListener {
  host: string;
  port: number;
}

/**
 * One proxy worker's serving side: listeners, upstream groups, routes, the
 * timeout sweep, metrics and access log. Each worker under the arbiter runs
 * one (worker-main.ts); a HUP replaces the worker with a new one.
 */
export class ProxyWorker implements ProxyContext {
  config: ProxyConfig;
  draining = false;
  readonly connections = new Set<LiveConnection>();
  readonly bodyBudget = new BodyBudget(() => this.config.requestBody.maxBuffered);
  readonly groups = new Map<string, UpstreamGroup>();
  readonly metrics: ProxyMetrics;
  private router: Router<RouteMatch>;
  private answers: ConfiguredAnswers;
  private overrides: readonly EndpointOverride[] = [];
  private zones: EdgeZones;
  private listeners: EdgeListeners | null = null;
  readonly edgeMetrics: EdgeMetrics;
  private trust: AddressSet | null = null;
  private tick: NodeJS.Timeout | null = null;
  private housekeeping = 0;
  private readonly accessLog: AccessLogWriter;
  /** OpenTelemetry traces, loaded by start() when OTEL_EXPORTER_OTLP_*ENDPOINT asks for them. */
  private tracing: RequestTracing | null = null;
  startSpan: SpanStarter | null = null;
  constructor(
    config: ProxyConfig,
    private readonly log: Logger,
  ) {
    this.config = config;
    this.accessLog = new AccessLogWriter(log, rawLineWriter(log));
    this.metrics = new ProxyMetrics(
      () => this.groups.values(),
      () => this.connections.size,
      () => this.bodyBudget.held,
    );
    this.edgeMetrics = new EdgeMetrics(this.metrics.registry, () => this.listeners?.h2Sessions ?? 0, () => {
      this.metrics.changes++;
    });
    this.zones = new EdgeZones(config.limitReq as Record<string, LimitReqZone>, config.limitConn as Record<string, LimitConnZone>);
    this.answers = configuredAnswers(config);
    this.router = this.buildRouter(config, this.answers);
    this.trust = buildTrust(config.forwarded.trust);
  }

  get errors(): ErrorAnswers {
    return this.answers.global;
  }

  /** The answer to a request refused before an exchange (HTTP/2 streams the dispatcher refuses). */
  refusalAnswer(err: ProxyError): LocalAnswer {
    const code = codeOf(err);
    return this.errors.forCode(code, err.detail, false);
  }

  private buildRouter(config: ProxyConfig, answers: ConfiguredAnswers): Router<RouteMatch> {
    return new Router(config.routes, (name, r) => ({
      group: this.groups.get(name) as UpstreamGroup,
      edge: {
        errors: answers.routes[config.routes.indexOf(r)] ?? answers.global,
        label: `${r.host}${r.path}`,
        policy: r.access.length > 0 || r.limitReq.length > 0 || r.limitConn.length > 0 ? new RoutePolicy(r, this.zones) : null,
        maxBodyBytes: r.maxBodyBytes,
        maxHeaderBytes: r.maxHeaderBytes,
        compression: compressionPolicy(config.compression as CompressionSettings, r.compression as Partial<CompressionSettings> | undefined),
      },
    }));
  }

  private groupEvents() {
    return {
      ejected: (group: string, endpoint: string, ms: number) => {
        this.metrics.ejection(group, endpoint);
        this.log.warn({ upstream: group, endpoint, ejectMs: ms }, 'endpoint ejected');
      },
      endpointsChanged: (group: string, added: string[], removed: string[]) => {
        this.log.info({ upstream: group, added, removed }, 'upstream endpoints changed');
      },
      resolveFailed: (group: string, name: string, error: Error, kept: number) => {
        const reason = resolveFailure(error);
        this.metrics.resolveFailure(group, reason);
        const fields = { upstream: group, name, reason, err: errorCode(error) ?? error.message, kept };
        if (kept > 0) this.log.warn(fields, 'DNS resolution failed; keeping last endpoints');
        else this.log.warn(fields, 'DNS resolution failed; this name has no endpoints');
      },
    };
  }

  /** Resolves upstreams, starts the sweep and binds every listener. */
  async start(listenOptions: { exclusive?: boolean; beforeListen?: () => Promise<void> } = {}): Promise<BoundListener[]> {
    const tracing = await RequestTracing.start('tsgi-proxy');
    if (tracing !== null) {
      this.tracing = tracing;
      this.startSpan = (parent) => tracing.startServerSpan('HTTP', parent, {});
    }
    await this.startGroups(this.config);
    this.router = this.buildRouter(this.config, this.answers);
    this.tick = setInterval(() => this.sweep(), TICK_MS);
    this.tick.unref();
    this.listeners = new EdgeListeners(
      this.config.listeners,
      {
        http1: (socket, info) => new ClientConnection(socket, this, info),
        h2Stream: (stream, flags, raw, info) =>
          dispatchH2Stream(stream, flags, raw, info, {
            limits: this.config.limits,
            serve: (s, request, i) => new H2StreamClient(s, this, i, request),
            answer: (err) => this.refusalAnswer(err),
            refused: (err, i) => {
              this.edgeMetrics.h2Refused.inc({ code: err.code });
              this.onRecord(refusalRecord(i.address, err.status ?? 400, codeOf(err)));
            },
          }),
        limits: () => this.config.limits,
        idleTimeout: () => this.config.timeouts.clientIdle,
        accepting: () => !this.draining,
        maxConnections: () => this.config.limits.maxConnections,
      },
      this.edgeMetrics,
      this.log,
    );
    await listenOptions.beforeListen?.();
    const bound: BoundListener[] = await this.listeners.start(addressesOf(this.config), listenOptions.exclusive ?? false);
    return bound;
  }

  private async startGroups(config: ProxyConfig): Promise<void> {
    const starts: Promise<void>[] = [];
    for (const [name, up] of Object.entries(config.upstreams)) {
      const g = new UpstreamGroup(name, up, this.groupEvents());
      g.setOverrides(this.overridesOf(name));
      this.groups.set(name, g);
      starts.push(g.start());
    }
    await Promise.all(starts);
  }

  /** The admin API's endpoint overrides, the whole current list (from the master). */
  setOverrides(list: readonly EndpointOverride[]): void {
    this.overrides = list;
    for (const [name, g] of this.groups) g.setOverrides(this.overridesOf(name));
    this.log.info({ overrides: list }, 'endpoint overrides applied');
  }

  private overridesOf(group: string): Map<string, EndpointOverride> {
    return new Map(this.overrides.filter((o) => o.group === group).map((o) => [o.endpoint, o]));
  }

  route(host: string, target: string): RouteMatch | null {
    return this.router.match(host, target);
  }

  isTrusted(peer: string): boolean {
    return this.trust !== null && this.trust.has(peer);
  }

  onRecord(r: ExchangeRecord): void {
    this.metrics.request(r.group, r.status, r.durationMs);
    if (r.span) endExchangeSpan(r);
    const access = this.config.accessLog;
    if (access !== null) this.accessLog.write(access.format, r);
  }

  onEdge(event: 'denied' | 'limited' | 'delayed', label: string, kind?: 'req' | 'conn'): void {
    if (event === 'denied') this.edgeMetrics.denied.inc({ route: label });
    else if (event === 'limited') this.edgeMetrics.limited.inc({ zone: label, kind: kind ?? 'req' });
    else this.edgeMetrics.delayed.inc({ route: label });
  }

  onCompressed(encoding: Encoding, bytesIn: number, bytesOut: number): void {
    this.edgeMetrics.compressed.inc({ encoding });
    this.edgeMetrics.compressionIn.inc({ encoding }, bytesIn);
    this.edgeMetrics.compressionOut.inc({ encoding }, bytesOut);
  }

  onRetry(group: string, reason: ProxyErrorCode | 'status'): void {
    this.metrics.retry(group, reason);
  }

  onUpstreamFailure(ep: Endpoint, code: ProxyErrorCode | 'status'): void {
    this.metrics.failure(ep.group, ep.id, code);
  }

  private sweep(): void {
    const now = Date.now();
    for (const c of this.connections) if (c.deadline <= now) c.onTimeout(now);
    if (now - this.housekeeping >= 250) {
      this.housekeeping = now;
      for (const g of this.groups.values()) g.sweep(now);
      this.zones.sweep(now);
    }
  }

  /** Admin JSON view of every group's endpoints. */
  snapshot(): WorkerUpstreams {
    const now = Date.now();
    const out: WorkerUpstreams['upstreams'] = {};
    for (const [name, g] of this.groups) out[name] = g.snapshot(now);
    return { pid: process.pid, connections: this.connections.size, upstreams: out };
  }

  /**
   * Graceful drain: stop accepting, close idle keep-alive connections, let
   * in-flight requests finish (their responses carry Connection: close), and
   * resolve when none remain or `graceMs` passed (the rest are cut).
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    if (this.listeners !== null) await this.listeners.close();
    const deadline = Date.now() + graceMs;
    for (const c of this.connections) c.closeIfIdle();
    while (this.connections.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      for (const c of this.connections) c.closeIfIdle();
    }
    this.stop();
    // The spans of the last requests are still in the batch: send them before the worker exits.
    await this.tracing?.shutdown();
  }

  /** Stops timers and upstream pools; cuts any connection left. */
  stop(): void {
    if (this.tick !== null) clearInterval(this.tick);
    this.tick = null;
    this.listeners?.destroy();
    for (const c of this.connections) c.destroy();
    for (const g of this.groups.values()) g.stop();
  }
}

/** One worker's `/upstreams` view (the master gathers one per worker). */
export interface WorkerUpstreams {
  pid: number;
  connections: number;
  upstreams: Record<string, GroupSnapshot>;
}

/** The global error answers and, per route, its own when it has `errorPages` (null: the global ones). */
interface ConfiguredAnswers {
  global: ErrorAnswers;
  routes: (ErrorAnswers | null)[];
}

/** Throws ConfigError naming the key when an error page file cannot be read. */
export function configuredAnswers(config: ProxyConfig): ConfiguredAnswers {
  const global = new ErrorAnswers(config.debug, config.errorPages);
  const routes = config.routes.map((r, i) => (Object.keys(r.errorPages).length === 0 ? null : new ErrorAnswers(config.debug, { ...config.errorPages, ...r.errorPages }, `routes.${i}.errorPages`)));
  return { global, routes };
}

function addressesOf(config: ProxyConfig): { host: string; port: number }[] {
  return config.listeners.map((l) => parseAddress(l.address) as { host: string; port: number });
}

/** The config's `forwarded.trust` (validated CIDRs) as a set; null when empty. */
function buildTrust(cidrs: readonly string[]): AddressSet | null {
  if (cidrs.length === 0) return null;
  return new AddressSet(cidrs.flatMap((c) => parseCidr(c) ?? []));
}
