import { normalizePeer } from '@tsgi/http1';

/**
 * The client address after trusted-proxy resolution (nginx realip with
 * `real_ip_recursive on`): walk X-Forwarded-For from the right while the hop
 * is a trusted proxy; the first untrusted hop is the client. An untrusted
 * peer's X-Forwarded-For is ignored entirely, so a client cannot pick the key
 * its requests are limited or allowed by.
 */
export function resolveClientAddress(peer: string, xff: readonly string[], isTrusted: (ip: string) => boolean): string {
  if (xff.length === 0 || !isTrusted(peer)) return peer;
  const hops: string[] = [];
  for (const v of xff) for (const part of v.split(',')) hops.push(part.trim());
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = stripPort(hops[i]!); // 0 <= i < hops.length
    if (hop === '') break;
    client = hop;
    if (!isTrusted(hop)) break;
  }
  return client;
}

/** `1.2.3.4:5678` → `1.2.3.4`, `[::1]:80` → `::1`; bare addresses are returned as they are. */
function stripPort(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end > 0 ? hop.slice(1, end) : '';
  }
  const colon = hop.indexOf(':');
  if (colon > 0 && colon === hop.lastIndexOf(':')) return hop.slice(0, colon);
  return normalizePeer(hop);
}
