import { BlockList, isIP } from 'node:net';
import { parseCidrRule } from '../config/config-units.js';

/** One rule as written in the config: `{ allow: "10.0.0.0/8" }`, `{ deny: "all" }`. */
export type AccessRule = { allow: string } | { deny: string };

interface Compiled {
  allow: boolean;
  family: 4 | 6;
  /** null: matches every address (`all`). */
  list: BlockList | null;
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
      if (target === 'all') return { allow, family: 4 as const, list: null };
      const cidr = parseCidrRule(target);
      if (cidr === null) throw new TypeError(`not an address or CIDR: ${target}`);
      const list = new BlockList();
      list.addSubnet(cidr.ip, cidr.prefix, cidr.family === 4 ? 'ipv4' : 'ipv6');
      return { allow, family: cidr.family, list };
    });
  }

  /** Whether `address` may proceed. */
  allows(address: string): boolean {
    const ip = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
    const family = isIP(ip);
    if (family === 0) return this.fallback();
    const type = family === 4 ? 'ipv4' : 'ipv6';
    for (const r of this.rules) {
      // BlockList matches IPv4 against IPv6 subnets (as mapped addresses); nginx rules are per family.
      if (r.list === null || (r.family === family && r.list.check(ip, type))) return r.allow;
    }
    return true;
  }

  /** Addresses that aren't IPs (unix-socket peers) only meet `all` rules. */
  private fallback(): boolean {
    for (const r of this.rules) if (r.list === null) return r.allow;
    return true;
  }
}
