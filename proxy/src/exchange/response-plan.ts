import { ChunkedDecoder, type RequestHead, type ResponseHead } from '@tsgi/http1';
import type { OutgoingHead } from './client-side.js';
import { planCompression, type CompressionPolicy } from '../policy/compression.js';
import type { HeadLimits } from '@tsgi/http1';
import type { ClientSide } from './client-side.js';
import { CompressedRelay, type CompressionSink, type UpstreamFraming } from './compressed-relay.js';
import { ChunkedRelay, LengthRelay, NoBodyRelay, UntilCloseRelay, type BodyRelay, type RelayDone, type RelayTarget } from './relays.js';

/** The relay for one response (it holds the head the client gets). */
export interface ResponsePlan {
  relay: BodyRelay;
  /** The upstream socket can carry another request after this body (framing known, no close asked). */
  reusable: boolean;
}

/** Who a response goes between: the client, the upstream socket, the exchange's RelayDone, and the worker's compression metrics. */
export interface ResponseParties {
  client: ClientSide;
  upstream: RelayTarget['upstream'];
  done: RelayDone;
  /** The exchange's keep-alive decision for HTTP/1.1. */
  keepAlive: boolean;
  metrics: CompressionSink;
}

/** The first value of a request field by lower-case name. */
function fieldOf(req: RequestHead, name: string): string | null {
  for (let i = 0; i < req.lower.length; i++) if (req.lower[i] === name) return req.values[i] ?? null;
  return null;
}

/**
 * Chooses how the upstream body is passed on: no body (HEAD/204/304),
 * Content-Length, chunked, until close, or compressed at the edge (routes
 * with compression on, eligible responses only).
 */
export function planResponse(
  parties: ResponseParties,
  req: RequestHead,
  head: ResponseHead,
  /** The route's compression (null: off). */
  compress: CompressionPolicy | null,
  /** Set-Cookie line of a sticky upstream ('' when none). */
  sticky: string,
  trailerLimits: HeadLimits,
): ResponsePlan {
  const reusable = !head.close;
  const out: OutgoingHead = { status: head.status, reason: head.reason, lines: sticky === '' ? head.lines : head.lines + sticky, contentLength: head.contentLength };
  // The relay reads the head when it sends it, after the changes below.
  const target: RelayTarget = { client: parties.client, head: out, keepAlive: parties.keepAlive, upstream: parties.upstream, done: parties.done };
  if (req.method === 'HEAD' || head.status === 204 || head.status === 304) {
    if (head.status === 204) out.contentLength = -1;
    const desync = req.method !== 'HEAD' && (head.contentLength > 0 || head.chunked);
    return { relay: new NoBodyRelay(target, desync), reusable };
  }
  // Routes without compression pay this one check.
  if (compress !== null) {
    const plan = planCompression(compress, fieldOf(req, 'accept-encoding'), head);
    if (plan !== null) {
      out.lines = plan.lines + sticky;
      if (plan.encoding !== null) {
        out.contentLength = -1;
        const framing: UpstreamFraming =
          head.contentLength >= 0 ? { kind: 'length', remaining: head.contentLength } : head.chunked ? { kind: 'chunked', decoder: new ChunkedDecoder(trailerLimits) } : { kind: 'close' };
        return { relay: new CompressedRelay(target, plan.encoding, compress, framing, parties.metrics), reusable: reusable && framing.kind !== 'close' };
      }
    }
  }
  if (head.contentLength >= 0) return { relay: new LengthRelay(target, head.contentLength), reusable };
  if (head.chunked) return { relay: new ChunkedRelay(target, new ChunkedDecoder(trailerLimits)), reusable };
  return { relay: new UntilCloseRelay(target), reusable: false };
}
