import type * as OtelApi from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import { ArbiterError } from '../errors.js';
import { batchOptionsFromEnv, samplerFromEnv } from './sdk-env.js';
import { tracingRequestedBy } from './tracing-env.js';

/** The packages loaded when traces are on (optional dependencies of @tsgi/arbiter). */
const PACKAGES = '@opentelemetry/api @opentelemetry/sdk-trace @opentelemetry/resources @opentelemetry/exporter-trace-otlp-http';

/** A span's attributes (OpenTelemetry's `Attributes`, named here so the tiers need not import the API). */
export type SpanAttributes = Attributes;

/** The caller's span from a valid `traceparent`: the new span's parent. */
export interface RemoteParent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/** One request's span on this tier. */
export interface ServerSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** The sampler kept it: the next hop's `traceparent` carries flag 01. */
  readonly sampled: boolean;
  /**
   * Ends it with its attributes; a 5xx status marks it an error (server spans
   * leave 4xx unset, as the HTTP semantic conventions say). `name` replaces the
   * start's (`GET /post/<int:post_id>` once the route is known).
   */
  end(attributes: Attributes, status: number, name?: string): void;
}

interface Loaded {
  api: typeof OtelApi;
  tracer: Tracer;
  shutdown(): Promise<void>;
}

/**
 * One process's OpenTelemetry traces: a tracer provider with a batching OTLP/HTTP
 * exporter, configured by the standard `OTEL_*` variables (endpoint, headers,
 * `OTEL_TRACES_SAMPLER`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, batch sizes).
 * Both tiers' workers make one with `startTracing`; `shutdown()` on graceful exit
 * sends the spans still queued.
 */
export class RequestTracing {
  private constructor(private readonly otel: Loaded) {}

  /**
   * Loads the SDK when an OTLP endpoint is configured (dynamic imports, so a
   * process without traces never loads it) and returns null otherwise.
   * `serviceName` applies when OTEL_SERVICE_NAME does not say.
   * Throws ARB_ERR_TRACING_UNAVAILABLE when the packages were not installed.
   */
  static async start(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<RequestTracing | null> {
    const wanted = tracingRequestedBy(env);
    if (wanted === null) return null;
    let modules;
    try {
      modules = await Promise.all([
        import('@opentelemetry/api'),
        import('@opentelemetry/sdk-trace'),
        import('@opentelemetry/resources'),
        import('@opentelemetry/exporter-trace-otlp-http'),
      ]);
    } catch (err) {
      throw new ArbiterError('ARB_ERR_TRACING_UNAVAILABLE', wanted, PACKAGES, { cause: err });
    }
    const [api, sdk, resources, otlp] = modules;
    const resource = resources
      .defaultResource()
      .merge(resources.resourceFromAttributes({ 'service.name': serviceName }))
      .merge(resources.detectResources({ detectors: [resources.envDetector] }));
    // The exporter reads its OTEL_EXPORTER_OTLP_* endpoint, headers and timeout itself.
    const provider = new sdk.TracerProvider({ resource, sampler: samplerFromEnv(sdk, env), spanProcessors: [new sdk.BatchSpanProcessor({ ...batchOptionsFromEnv(env), exporter: new otlp.OTLPTraceExporter() })] });
    const tracer = provider.getTracer('@tsgi/arbiter');
    return new RequestTracing({ api, tracer, shutdown: () => provider.shutdown() });
  }

  /** Starts a SERVER span, child of `parent` when the request carried one, else the root of a new trace. */
  startServerSpan(name: string, parent: RemoteParent | null, attributes: Attributes): ServerSpan {
    const { api, tracer } = this.otel;
    let ctx: Context = api.ROOT_CONTEXT;
    if (parent !== null) {
      ctx = api.trace.setSpanContext(ctx, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.sampled ? api.TraceFlags.SAMPLED : api.TraceFlags.NONE, isRemote: true });
    }
    const span = tracer.startSpan(name, { kind: api.SpanKind.SERVER, attributes }, ctx);
    return new OtelServerSpan(span, api.SpanStatusCode.ERROR);
  }

  /**
   * Sends the spans still queued and stops the exporter (graceful worker
   * exit); gives up after `withinMs`, so a collector that is down never holds
   * a stopping worker past its grace period.
   */
  async shutdown(withinMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, withinMs));
      timer.unref();
    });
    try {
      await Promise.race([this.otel.shutdown().catch(() => undefined), late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

class OtelServerSpan implements ServerSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;

  constructor(
    private readonly span: Span,
    private readonly errorCode: number,
  ) {
    const sc = span.spanContext();
    this.traceId = sc.traceId;
    this.spanId = sc.spanId;
    this.sampled = (sc.traceFlags & 1) === 1;
  }

  end(attributes: Attributes, status: number, name?: string): void {
    const span = this.span;
    if (!span.isRecording()) return;
    span.setAttributes(attributes);
    if (name !== undefined) span.updateName(name);
    if (status >= 500) span.setStatus({ code: this.errorCode });
    span.end();
  }
}
