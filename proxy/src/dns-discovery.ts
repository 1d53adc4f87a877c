import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';

/** One resolved address with the TTL the resolver gave (seconds; 0 when unknown). */
export interface ResolvedAddress {
  address: string;
  ttl: number;
}

/**
 * Resolves a host name to all its addresses. With `servers` set, asks those
 * DNS servers directly (A and AAAA, with TTLs); otherwise uses getaddrinfo,
 * which also reads /etc/hosts, so Compose and Kubernetes names work as on
 * the host. IP literals resolve to themselves.
 */
export async function resolveHost(host: string, servers: readonly string[] | undefined): Promise<ResolvedAddress[]> {
  if (isIP(host) !== 0) return [{ address: host, ttl: 0 }];
  if (servers === undefined || servers.length === 0) {
    const all = await lookup(host, { all: true });
    return all.map((a) => ({ address: a.address, ttl: 0 }));
  }
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([...servers]);
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host, { ttl: true }), resolver.resolve6(host, { ttl: true })]);
  const out: ResolvedAddress[] = [];
  if (v4.status === 'fulfilled') out.push(...v4.value);
  if (v6.status === 'fulfilled') out.push(...v6.value);
  if (out.length === 0) {
    const reason = v4.status === 'rejected' ? v4.reason : v6.status === 'rejected' ? v6.reason : new Error('no addresses');
    // NXDOMAIN / no data means the name exists with no endpoints (scaled to zero), not a resolver failure.
    const code = (reason as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
    throw reason;
  }
  return out;
}
