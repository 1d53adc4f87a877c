import type { ProxyErrorCode } from '../errors.js';
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
  /** Reading a small body whole at the edge; no upstream connection is taken yet. */
  | { readonly kind: 'reading-body' }
  /** A large body waits for one of its group's streaming slots (`bodyStreams`); the client is paused. */
  | { readonly kind: 'queued-body' }
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
export const READING_BODY: ExchangePhase = { kind: 'reading-body' };
export const QUEUED_BODY: ExchangePhase = { kind: 'queued-body' };

/** What a passed deadline means in a phase: the failure it is, whether it may go to another endpoint, whether the client connection ends. */
export interface PhaseTimeout {
  readonly code: ProxyErrorCode;
  readonly detail: string;
  /** Nothing reached the upstream: even a non-idempotent request may be retried. */
  readonly connectFailure: boolean;
  /** The client stalled mid-body: its connection cannot carry another request. */
  readonly cutsClient: boolean;
}

/** The timeout of each waiting phase (null: the phase has no deadline); `total` says the request's total timeout passed. */
export function timeoutOf(phase: ExchangePhase, total: boolean): PhaseTimeout | null {
  const t = (code: ProxyErrorCode, detail: string, connectFailure = false, cutsClient = false): PhaseTimeout => ({ code: total ? 'PX_ERR_UPSTREAM_TOTAL_TIMEOUT' : code, detail, connectFailure, cutsClient });
  switch (phase.kind) {
    case 'waiting-upstream':
      return t('PX_ERR_UPSTREAM_CONNECT_TIMEOUT', 'no connection in time', true);
    case 'reading-body':
    case 'forwarding-body':
      return t('PX_ERR_BODY_TIMEOUT', 'client body stalled', false, true);
    case 'queued-body':
      return t('PX_ERR_BODY_STREAMS_BUSY', 'no streaming slot in time', true, true);
    case 'awaiting-response':
      return t('PX_ERR_UPSTREAM_HEADER_TIMEOUT', 'no response head in time');
    case 'relaying':
      return t('PX_ERR_UPSTREAM_IDLE_TIMEOUT', 'upstream stalled');
    default:
      return null;
  }
}
