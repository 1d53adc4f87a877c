import { BlockList, isIPv4, isIPv6 } from 'node:net';

const PREFIX_DIGITS = /^\d{1,3}$/;
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
  private readonly list = new BlockList();
  private readonly none: boolean;
  private readonly memo = new Map<string, boolean>();

  /** Throws a TypeError naming `option` and the first entry that is not an IP, a CIDR or '*'. */
  constructor(entries: readonly string[], option = 'forwardedAllowIps') {
    this.all = entries.includes('*');
    this.none = entries.length === 0;
    for (const entry of entries) {
      if (entry === '*') continue;
      const bad = () => new TypeError(`${option}: ${JSON.stringify(entry)} is not an IP, CIDR or '*'`);
      if (typeof entry !== 'string') throw bad();
      const slash = entry.indexOf('/');
      const ip = slash === -1 ? entry : entry.slice(0, slash);
      const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : '';
      if (family === '') throw bad();
      if (slash === -1) {
        this.list.addAddress(ip, family);
        continue;
      }
      // `10.0.0.0/` or `/x` must not read as /0 (everyone) or NaN.
      const bits = entry.slice(slash + 1);
      if (!PREFIX_DIGITS.test(bits) || Number(bits) > (family === 'ipv4' ? 32 : 128)) throw bad();
      this.list.addSubnet(ip, Number(bits), family);
    }
  }

  trusts(address: string): boolean {
    if (this.all) return true;
    if (this.none || address === '') return false;
    const known = this.memo.get(address);
    if (known !== undefined) return known;
    const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
    const verdict = this.list.check(plain, isIPv6(plain) ? 'ipv6' : 'ipv4');
    // Bounded: many distinct untrusted peers only cost a refill, never memory.
    if (this.memo.size >= MEMO_SIZE) this.memo.clear();
    this.memo.set(address, verdict);
    return verdict;
  }
}
