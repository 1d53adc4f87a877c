import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { errorCode } from '@tsgi/errors';

/** One resolved address with the TTL the resolver gave (seconds; 0 when unknown). */
export interface ResolvedAddress {
  address: string;
  ttl: number;
}

/** What an upstream's `resolve.nxdomain` says a name that does not exist (NXDOMAIN, or no A/AAAA records) means. */
export type NxdomainPolicy = 'keep' | 'empty';

/**
 * Resolves a host name to all its addresses. With `servers` set, asks those
 * DNS servers directly (A and AAAA, with TTLs); otherwise uses getaddrinfo,
 * which also reads /etc/hosts, so Compose and Kubernetes names work as on
 * the host. IP literals resolve to themselves. A name that does not exist
 * throws like any other failure (the caller keeps its last endpoints)
 * unless `nxdomain` is `empty`: then it resolves to no address (scaled to zero).
 */
export async function resolveHost(host: string, servers: readonly string[] | undefined, nxdomain: NxdomainPolicy = 'keep'): Promise<ResolvedAddress[]> {
  if (isIP(host) !== 0) return [{ address: host, ttl: 0 }];
  try {
    return await ask(host, servers);
  } catch (err) {
    if (nxdomain === 'empty' && isNotFound(err)) return [];
    throw err;
  }
}

async function ask(host: string, servers: readonly string[] | undefined): Promise<ResolvedAddress[]> {
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
    // The A answer says more than the AAAA one (a v4-only name answers NODATA for AAAA).
    throw v4.status === 'rejected' ? v4.reason : v6.status === 'rejected' ? v6.reason : Object.assign(new Error(`no addresses for ${host}`), { code: 'ENODATA' });
  }
  return out;
}

function isNotFound(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

/** Why a resolution failed, as a short word for logs and the `reason` label of the failure counter. */
export type ResolveFailure = 'nxdomain' | 'nodata' | 'servfail' | 'timeout' | 'refused' | 'temporary' | 'error';

const FAILURES: Record<string, ResolveFailure> = {
  ENOTFOUND: 'nxdomain',
  ENODATA: 'nodata',
  ESERVFAIL: 'servfail',
  ETIMEOUT: 'timeout',
  ECONNREFUSED: 'refused',
  EREFUSED: 'refused',
  EAI_AGAIN: 'temporary',
};

export function resolveFailure(err: unknown): ResolveFailure {
  const code = errorCode(err);
  return (code !== undefined ? FAILURES[code] : undefined) ?? 'error';
}
