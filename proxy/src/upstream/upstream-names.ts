import { isIP } from 'node:net';
import { parseAddress, type ProxyConfig } from '../config/config.js';
import { resolveFailure, resolveHost, type ResolveFailure } from './dns-discovery.js';
import { isUnixAddress } from './unix-address.js';
import { ProxyError } from '../errors.js';

/** One upstream server entry whose name gave no address. */
export interface UnresolvedName {
  /** `servers` index in the group. */
  entry: number;
  host: string;
  reason: ResolveFailure;
}

/** What resolving a group's names found: how many addresses, and which names failed. */
export interface GroupResolution {
  group: string;
  addresses: number;
  failed: UnresolvedName[];
}

/**
 * Resolves every upstream name of `config` once, as the group itself will (its `resolve.servers` and
 * `resolve.nxdomain`), all names at once. Socket paths and IP literals count as one address each.
 */
export async function resolveUpstreamNames(config: ProxyConfig): Promise<GroupResolution[]> {
  return Promise.all(
    Object.entries(config.upstreams).map(async ([group, up]) => {
      const failed: UnresolvedName[] = [];
      const counts = await Promise.all(
        up.servers.map(async (s, entry) => {
          const { host } = parseAddress(s.address) as { host: string };
          if (isUnixAddress(host) || isIP(host) !== 0) return 1;
          try {
            return (await resolveHost(host, up.resolve.servers, up.resolve.nxdomain)).length;
          } catch (err) {
            failed.push({ entry, host, reason: resolveFailure(err) });
            return 0;
          }
        }),
      );
      failed.sort((a, b) => a.entry - b.entry);
      return { group, addresses: counts.reduce((a, b) => a + b, 0), failed };
    }),
  );
}

/** `--check-config`: the first name that does not resolve, as nginx -t's `host not found in upstream`; null when all do. */
export function firstUnresolved(found: readonly GroupResolution[]): string | null {
  for (const g of found) {
    const f = g.failed[0];
    if (f !== undefined) return `upstreams.${g.group}.servers.${f.entry} host not found in upstream: "${f.host}" (${f.reason})`;
  }
  return null;
}

/**
 * A reload must not take a group that serves now down to no endpoint (a name that does not resolve, a typo):
 * throws PX_ERR_RELOAD_REFUSED naming the group and why, so the running config keeps serving (nginx refuses
 * such a reload with `host not found in upstream`). `serving(group)`: the group has endpoints now.
 */
export async function refuseEmptyingReload(next: ProxyConfig, serving: (group: string) => boolean): Promise<void> {
  const candidates = { ...next, upstreams: Object.fromEntries(Object.entries(next.upstreams).filter(([name]) => serving(name))) };
  for (const g of await resolveUpstreamNames(candidates)) {
    if (g.addresses > 0) continue;
    const why = g.failed.length > 0 ? g.failed.map((f) => `${f.host}: ${f.reason}`).join(', ') : 'its names resolve to no address';
    throw new ProxyError('PX_ERR_RELOAD_REFUSED', g.group, why);
  }
}
