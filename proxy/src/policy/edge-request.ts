import type { Admission, RoutePolicy } from './route-policy.js';
import type { CompressionPolicy } from './compression.js';
import { traceFor, traceHeadersOf, traceHeaderLines, type SpanStarter, type TraceIds } from './trace-context.js';
import type { ErrorAnswers } from './error-answers.js';

/** The edge settings attached to a matched route. */
export interface EdgeRoute {
  /** `host/path` as configured: the key of `route` zones and the metrics label. */
  label: string;
  policy: RoutePolicy | null;
  /** Per-route overrides of the global limits; undefined keeps the global one. */
  maxBodyBytes: number | undefined;
  maxHeaderBytes: number | undefined;
  /** Response compression for this route; null when off (the hot path checks only this). */
  compression: CompressionPolicy | null;
  /** The proxy's own answers on this route (`errorPages` of the route over the global ones). */
  errors: ErrorAnswers;
}

/** The parts of a parsed request head the edge checks read. */
export interface HeadView {
  lower: readonly string[];
  values: readonly string[];
  /** Bytes of the head as received, for per-route header limits. */
  headBytes: number;
}

/** First value of a header by lower-case name. */
export function headerOf(head: HeadView, name: string): string | null {
  for (let i = 0; i < head.lower.length; i++) if (head.lower[i] === name) return head.values[i] ?? null;
  return null;
}

/** Runs the route's access and limit checks; null when the route has none. */
export function admit(route: EdgeRoute, head: HeadView, client: string, now: number): Admission | null {
  const policy = route.policy;
  if (policy === null || policy.empty) return null;
  return policy.admit({ client, route: route.label, header: (n) => headerOf(head, n) }, now);
}

/** The trace context for the upstream hop plus the header lines to append (the originals are skipped). */
export function traceForHead(head: HeadView, startSpan: SpanStarter | null): { ids: TraceIds; lines: string } {
  const h = traceHeadersOf(head.lower, head.values);
  const ids = traceFor(h.traceparent, h.tracestate, h.requestId, startSpan);
  return { ids, lines: traceHeaderLines(ids) };
}

