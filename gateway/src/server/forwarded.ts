import { AddressSet, parseCidr, type Cidr } from '@tsgi/http1';

/** Verdicts remembered: a BlockList check costs ~200 ns, and the same few proxy addresses repeat. */
const MEMO_SIZE = 256;

/**
 * Which peers' forwarded headers are believed: the reference server's
 * X-Forwarded-Proto (gunicorn --forwarded-allow-ips) and the proxyFix
 * middleware's `trustedProxies`. Entries are IPs, CIDRs or '*' (everyone).
 * An IPv4-mapped IPv6 peer (`::ffff:10.0.0.1`) is checked as its IPv4 address.
 */
export class ForwardedTrust {
  private readonly all: boolean;
  private readonly list: AddressSet;
  private readonly none: boolean;
  private readonly memo = new Map<string, boolean>();

  /** Throws a TypeError naming `option` and the first entry that is not an IP, a CIDR or '*'. */
  constructor(entries: readonly string[], option = 'forwardedAllowIps') {
    this.all = entries.includes('*');
    this.none = entries.length === 0;
    const cidrs: Cidr[] = [];
    for (const entry of entries) {
      if (entry === '*') continue;
      const parsed = parseCidr(entry);
      if (parsed === null) throw new TypeError(`${option}: ${JSON.stringify(entry)} is not an IP, CIDR or '*'`);
      cidrs.push(parsed);
    }
    this.list = new AddressSet(cidrs);
  }

  /** True for what the constructor accepts: an IPv4/IPv6 address, a CIDR (`10.0.0.0/8`, `fd00::/8`) or '*'. */
  static isEntry(value: unknown): boolean {
    return value === '*' || parseCidr(value) !== null;
  }

  trusts(address: string): boolean {
    if (this.all) return true;
    if (this.none || address === '') return false;
    const known = this.memo.get(address);
    if (known !== undefined) return known;
    const verdict = this.list.has(address);
    // Bounded: many distinct untrusted peers only cost a refill, never memory.
    if (this.memo.size >= MEMO_SIZE) this.memo.clear();
    this.memo.set(address, verdict);
    return verdict;
  }
}
