import { BlockList, isIPv4 } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { bearerMatches } from './admin-token.js';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** A peer on this host: 127.0.0.0/8, ::1, or an IPv4-mapped 127.x (a dual-stack socket's view of it). */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIPv4(v4) ? LOOPBACK.check(v4, 'ipv4') : LOOPBACK.check(address, 'ipv6');
}

/** Why a read of `/upstreams` is refused, or null when it may be served. */
export type ReadVerdict = null | { status: 401 | 403; error: string };

/**
 * `GET /upstreams` shows every endpoint's address, state and load: fine for whoever is on the proxy's host
 * (`curl` in the pod, `kubectl port-forward`, `kubectl exec`), not for every peer that can reach an admin port
 * bound on all interfaces so Prometheus can scrape `/metrics`. From any other address it needs the admin
 * bearer token; with no token configured it is refused there. `/metrics`, `/healthz` and `/readyz` stay open.
 */
export function upstreamsReadVerdict(req: IncomingMessage, token: string | null): ReadVerdict {
  if (isLoopbackPeer(req.socket.remoteAddress)) return null;
  if (token === null) {
    return { status: 403, error: 'GET /upstreams answers loopback peers only; set admin.tokenFile or TSGI_PROXY_ADMIN_TOKEN to read it with a bearer token from elsewhere' };
  }
  return bearerMatches(req.headers.authorization, token) ? null : { status: 401, error: 'a valid Authorization: Bearer <token> is required for GET /upstreams from a non-loopback peer' };
}
