import type { BodyRelay } from './relays.js';
import type { Tunnel } from './tunnel.js';

/**
 * Where one exchange stands. Each phase names what the exchange waits for;
 * the data a phase needs travels with it, so no field is read in a phase
 * where it means nothing.
 */
export type ExchangePhase =
  /** The head is parsed; routing and the edge checks run. */
  | { readonly kind: 'routing' }
  /** Routed and checked; held by limitReq without nodelay until the rate allows it. */
  | { readonly kind: 'delayed'; readonly timer: NodeJS.Timeout }
  /** Waiting for a pooled or new upstream connection. */
  | { readonly kind: 'waiting-upstream' }
  /** Request head sent, request body streaming upstream, no response head yet. */
  | { readonly kind: 'forwarding-body' }
  /** Request complete upstream, waiting for the response head. */
  | { readonly kind: 'awaiting-response' }
  /** Response head sent to the client, the body on its way through one relay. */
  | { readonly kind: 'relaying'; readonly relay: BodyRelay }
  /** Upgraded: bytes both ways untouched. */
  | { readonly kind: 'tunnel'; readonly tunnel: Tunnel }
  /** Answered (or cut); nothing more happens on this exchange. */
  | { readonly kind: 'done' };

export const ROUTING: ExchangePhase = { kind: 'routing' };
export const WAITING_UPSTREAM: ExchangePhase = { kind: 'waiting-upstream' };
export const FORWARDING_BODY: ExchangePhase = { kind: 'forwarding-body' };
export const AWAITING_RESPONSE: ExchangePhase = { kind: 'awaiting-response' };
export const DONE: ExchangePhase = { kind: 'done' };
