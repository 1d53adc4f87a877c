import type { RequestHead } from '@tsgi/http1';
import type { ProxyErrorCode } from '../errors.js';
import { resolveClientAddress } from '../listener/client-address.js';
import { admit, type EdgeRoute } from './edge-request.js';

/** What the checks need of the worker (its ProxyContext): the trust decision and the metrics of refusals. */
export interface GateHost {
  isTrusted(peer: string): boolean;
  /** Edge refusals and delays: `denied` by access rules, `limited`/`delayed` by a zone. */
  onEdge(event: 'denied' | 'limited' | 'delayed', label: string, kind?: 'req' | 'conn'): void;
}

/** What the route's edge checks decided. */
export type GateVerdict =
  | { readonly kind: 'pass'; readonly delayMs: number; readonly release: (() => void) | null; readonly maxBody: number }
  | { readonly kind: 'refuse'; readonly status: number; readonly code: ProxyErrorCode; readonly detail: string; readonly retryAfterS: number | null; readonly close: boolean };

function refuse(status: number, code: ProxyErrorCode, detail: string, retryAfterS: number | null = null, close = false): GateVerdict {
  return { kind: 'refuse', status, code, detail, retryAfterS, close };
}

/**
 * Route-level edge checks, in nginx's order: per-route head and body
 * limits, then allow/deny, limitConn and limitReq (with the client address
 * taken from X-Forwarded-For only through trusted proxies). `maxBody` is
 * the global body limit, which a route may override.
 */
export function checkRoute(ctx: GateHost, req: RequestHead, edge: EdgeRoute, peer: string, maxBody: number, now: number): GateVerdict {
  if (edge.maxHeaderBytes !== undefined && req.headBytes > edge.maxHeaderBytes) {
    // A head over a limit is refused like a broken one: 431 and the connection closed.
    return refuse(431, 'PX_ERR_HEADERS_TOO_LARGE', `request header fields too large for this route (${req.headBytes} > ${edge.maxHeaderBytes} bytes)`, null, true);
  }
  let limit = maxBody;
  if (edge.maxBodyBytes !== undefined) {
    limit = edge.maxBodyBytes;
    if (req.contentLength > limit) return refuse(413, 'PX_ERR_BODY_TOO_LARGE', `request body too large for this route (Content-Length ${req.contentLength} > ${limit})`);
  }
  if (edge.policy === null || edge.policy.empty) return { kind: 'pass', delayMs: 0, release: null, maxBody: limit };
  const xff: string[] = [];
  for (let i = 0; i < req.lower.length; i++) if (req.lower[i] === 'x-forwarded-for') xff.push(req.values[i] ?? '');
  const client = xff.length === 0 ? peer : resolveClientAddress(peer, xff, (ip) => ctx.isTrusted(ip));
  const a = admit(edge, req, client, now);
  if (a === null) return { kind: 'pass', delayMs: 0, release: null, maxBody: limit };
  if (a.kind === 'denied') {
    ctx.onEdge('denied', edge.label);
    return refuse(403, 'PX_ERR_FORBIDDEN', 'access denied');
  }
  if (a.kind === 'limited') {
    ctx.onEdge('limited', a.zone, a.by);
    if (a.by === 'req') return refuse(a.status, 'PX_ERR_RATE_LIMITED', `rate limit exceeded (zone ${a.zone})`, a.retryAfterS);
    return refuse(a.status, 'PX_ERR_CONN_LIMITED', `too many requests in progress (zone ${a.zone})`, a.retryAfterS);
  }
  if (a.delayMs > 0) ctx.onEdge('delayed', edge.label);
  return { kind: 'pass', delayMs: a.delayMs, release: a.release, maxBody: limit };
}
