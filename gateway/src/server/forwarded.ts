import { BlockList, isIPv4, isIPv6 } from 'node:net';

const PREFIX_DIGITS = /^\d{1,3}$/;
/** Verdicts remembered: a BlockList check costs ~200 ns, and the same few proxy addresses repeat. */
const MEMO_SIZE = 256;

interface Entry {
  ip: string;
  family: 'ipv4' | 'ipv6';
  /** Prefix length of a CIDR; undefined for one address. */
  bits: number | undefined;
}

function parseEntry(entry: unknown): Entry | undefined {
  if (typeof entry !== 'string') return undefined;
  const slash = entry.indexOf('/');
  const ip = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
  if (family === undefined) return undefined;
  if (slash === -1) return { ip, family, bits: undefined };
  // `10.0.0.0/` or `/x` must not read as /0 (everyone) or NaN.
  const bits = entry.slice(slash + 1);
  if (!PREFIX_DIGITS.test(bits) || Number(bits) > (family === 'ipv4' ? 32 : 128)) return undefined;
  return { ip, family, bits: Number(bits) };
}

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
      const parsed = parseEntry(entry);
      if (parsed === undefined) throw new TypeError(`${option}: ${JSON.stringify(entry)} is not an IP, CIDR or '*'`);
      if (parsed.bits === undefined) this.list.addAddress(parsed.ip, parsed.family);
      else this.list.addSubnet(parsed.ip, parsed.bits, parsed.family);
    }
  }

  /** True for what the constructor accepts: an IPv4/IPv6 address, a CIDR (`10.0.0.0/8`, `fd00::/8`) or '*'. */
  static isEntry(value: unknown): boolean {
    return value === '*' || parseEntry(value) !== undefined;
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
