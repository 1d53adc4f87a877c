import { randomFillSync } from 'node:crypto';
import { parseTraceparent, type RemoteParent, type ServerSpan } from '@tsgi/arbiter';

export { parseTraceparent };

/** Starts this hop's span when traces are exported (OpenTelemetry): its ids go upstream. */
export type SpanStarter = (parent: RemoteParent | null) => ServerSpan;

/** The trace ids of one request as it leaves the proxy. */
export interface TraceIds {
  /** 32 lower-case hex; the client's when it sent a valid traceparent. */
  traceId: string;
  /** 16 hex: the span id the proxy gives this hop (sent upstream as parent-id). */
  spanId: string;
  /** The client's parent-id, or null when the proxy started the trace. */
  parentId: string | null;
  /** Header values to send upstream. */
  traceparent: string;
  /** Passed through only with a valid traceparent and when well-formed. */
  tracestate: string | null;
  requestId: string;
  /** This hop's exported span (null unless traces are on): ended with the access record. */
  span: ServerSpan | null;
}

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** Ids from other systems (UUIDs, nginx $request_id, ULIDs) pass; anything that could split a log line does not. */
const REQUEST_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/;
const TRACESTATE_MEMBER = /^(?:[a-z0-9][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

let pool = Buffer.alloc(0);
let poolAt = 0;

/** Random hex from a refilled pool: one getrandom call per few hundred ids instead of one per id. */
function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(4096));
    poolAt = 0;
  }
  const s = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return s;
}

/** A fresh non-zero 16-hex span id. */
export function newSpanId(): string {
  let id = randomHex(8);
  while (id === ZERO_SPAN) id = randomHex(8);
  return id;
}

/** A fresh non-zero 32-hex trace id. */
export function newTraceId(): string {
  let id = randomHex(16);
  while (id === ZERO_TRACE) id = randomHex(16);
  return id;
}

/** tracestate with at most 32 well-formed members and 512 characters; null when invalid. */
export function validTracestate(value: string): string | null {
  const v = value.trim();
  if (v === '' || v.length > 512) return null;
  const members = v.split(',').map((m) => m.trim()).filter((m) => m !== '');
  if (members.length === 0 || members.length > 32) return null;
  for (const m of members) if (!TRACESTATE_MEMBER.test(m)) return null;
  return members.join(',');
}

/**
 * Builds this hop's trace context from the request's headers: a valid
 * incoming traceparent keeps its trace id and flags and gets a fresh span id
 * (the proxy is a hop); an invalid or missing one starts a new trace (and
 * drops tracestate, which only means something with its traceparent). A sane
 * X-Request-Id is kept, otherwise a new 32-hex one is made, so every access
 * line on both tiers can carry the same id.
 */
export function traceFor(traceparent: string | null, tracestate: string | null, requestId: string | null, startSpan: SpanStarter | null = null): TraceIds {
  const parsed = traceparent === null ? null : parseTraceparent(traceparent);
  const sampledIn = parsed !== null && (parseInt(parsed.flags, 16) & 0x01) === 1;
  // With traces exported, the span's ids and the sampler's verdict go upstream, so the next tier's span is its child.
  const span = startSpan === null ? null : startSpan(parsed === null ? null : { traceId: parsed.traceId, spanId: parsed.parentId, sampled: sampledIn });
  const spanId = span?.spanId ?? newSpanId();
  const traceId = span?.traceId ?? parsed?.traceId ?? newTraceId();
  const flags = (span?.sampled ?? sampledIn) ? '01' : '00';
  const rid = requestId !== null && REQUEST_ID.test(requestId) ? requestId : randomHex(16);
  return {
    traceId,
    spanId,
    parentId: parsed?.parentId ?? null,
    traceparent: `00-${traceId}-${spanId}-${flags}`,
    tracestate: parsed !== null && tracestate !== null ? validTracestate(tracestate) : null,
    requestId: rid,
    span,
  };
}

/**
 * Picks the trace headers out of a parsed head's lower-cased names. Repeated
 * traceparent fields make it invalid (W3C: treat as missing); repeated
 * tracestate fields are combined with commas.
 */
export function traceHeadersOf(lower: readonly string[], values: readonly string[]): { traceparent: string | null; tracestate: string | null; requestId: string | null } {
  let traceparent: string | null = null;
  let tracestate: string | null = null;
  let requestId: string | null = null;
  let parents = 0;
  for (let i = 0; i < lower.length; i++) {
    const n = lower[i]!;
    if (n.length < 9) continue;
    const value = values[i]!; // lower and values are parallel arrays
    if (n === 'traceparent') {
      parents++;
      traceparent = value;
    } else if (n === 'tracestate') tracestate = tracestate === null ? value : `${tracestate},${value}`;
    else if (n === 'x-request-id' && requestId === null) requestId = value;
  }
  return { traceparent: parents === 1 ? traceparent : null, tracestate, requestId };
}

/** Header names the proxy replaces when it forwards the trace context. */
export const TRACE_HEADERS: ReadonlySet<string> = new Set(['traceparent', 'tracestate', 'x-request-id']);

/** The header lines to append to the upstream head. */
export function traceHeaderLines(ids: TraceIds): string {
  return `traceparent: ${ids.traceparent}\r\n${ids.tracestate !== null ? `tracestate: ${ids.tracestate}\r\n` : ''}x-request-id: ${ids.requestId}\r\n`;
}
