import { isIP } from 'node:net';
import { AddressSet, normalizePeer, parseCidr } from '@tsgi/http1';

/** One rule as written in the config: `{ allow: "10.0.0.0/8" }`, `{ deny: "all" }`. */
export type AccessRule = { allow: string } | { deny: string };

interface Compiled {
  allow: boolean;
  /** null: matches every address (`all`). */
  list: AddressSet | null;
}

/**
 * nginx `allow`/`deny`: rules are tried in order and the first whose address
 * or CIDR matches decides; no match allows. IPv4-mapped IPv6 peers
 * (`::ffff:1.2.3.4`) are matched as IPv4.
 */
export class AccessList {
  private readonly rules: Compiled[];

  constructor(rules: readonly AccessRule[]) {
    this.rules = rules.map((r) => {
      const allow = 'allow' in r;
      const target = allow ? (r as { allow: string }).allow : (r as { deny: string }).deny;
      if (target === 'all') return { allow, list: null };
      const cidr = parseCidr(target);
      if (cidr === null) throw new TypeError(`not an address or CIDR: ${target}`);
      return { allow, list: new AddressSet([cidr]) };
    });
  }

  /** Whether `address` may proceed. */
  allows(address: string): boolean {
    const ip = normalizePeer(address);
    const family = isIP(ip);
    if (family === 0) return this.fallback();
    // nginx rules are per family, as AddressSet matches.
    for (const r of this.rules) if (r.list === null || r.list.hasIp(ip, family)) return r.allow;
    return true;
  }

  /** Addresses that aren't IPs (unix-socket peers) only meet `all` rules. */
  private fallback(): boolean {
    for (const r of this.rules) if (r.list === null) return r.allow;
    return true;
  }
}
