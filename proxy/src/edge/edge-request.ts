import { STATUS_CODES } from 'node:http';
import type { Admission, RoutePolicy } from './route-policy.js';
import type { CompressionPolicy } from './compression.js';
import { traceFor, traceHeadersOf, traceHeaderLines, type TraceIds } from './trace-context.js';

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
export function traceForHead(head: HeadView): { ids: TraceIds; lines: string } {
  const h = traceHeadersOf(head.lower, head.values);
  const ids = traceFor(h.traceparent, h.tracestate, h.requestId);
  return { ids, lines: traceHeaderLines(ids) };
}

/**
 * A refusal the edge answers itself: 403 for access, the zone's status
 * (429 by default) with Retry-After for limits. The body names the reason
 * and the x-proxy-error header carries the stable code.
 */
export function edgeRefusal(status: number, code: string, detail: string, retryAfterS: number | null, close: boolean, headRequest: boolean, requestId: string | null): string {
  const reason = STATUS_CODES[status] ?? 'Error';
  const body = `${status} ${reason}: ${detail}\n`;
  return (
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
    `x-proxy-error: ${code}\r\n${retryAfterS !== null ? `retry-after: ${retryAfterS}\r\n` : ''}${requestId !== null ? `x-request-id: ${requestId}\r\n` : ''}` +
    `${close ? 'connection: close\r\n' : ''}\r\n${headRequest ? '' : body}`
  );
}
