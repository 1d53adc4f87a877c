import { BlockList, isIP } from 'node:net';

/** An address or subnet as configured: `10.0.0.0/8`, `fd00::/8`, or one address (its full prefix). */
export interface Cidr {
  ip: string;
  prefix: number;
  family: 4 | 6;
}

/** Prefix digits: `10.0.0.0/` or `/x` must not read as /0 (everyone) or NaN. */
const PREFIX_DIGITS = /^\d{1,3}$/;

/** Parses `ip` or `ip/prefix` (prefix within the family's bits); null for anything else. */
export function parseCidr(text: unknown): Cidr | null {
  if (typeof text !== 'string') return null;
  const slash = text.indexOf('/');
  const ip = slash === -1 ? text : text.slice(0, slash);
  const kind = isIP(ip);
  if (kind === 0) return null;
  const family = kind === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  if (slash === -1) return { ip, prefix: max, family };
  const digits = text.slice(slash + 1);
  if (!PREFIX_DIGITS.test(digits) || Number(digits) > max) return null;
  return { ip, prefix: Number(digits), family };
}

/** `::ffff:127.0.0.1` → `127.0.0.1`: an IPv4 peer on a dual-stack socket, in the one form logs, headers and lists use. */
export function normalizePeer(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * Addresses and subnets, matched per family on node:net's BlockList: an IPv4 address never matches an IPv6
 * subnet (BlockList alone lets `::/0` match every IPv4 address), an IPv4-mapped peer matches as its IPv4
 * address, and what is not an IP (a unix-socket peer) matches nothing.
 */
export class AddressSet {
  /** null while the family has no entry: a check of an empty BlockList still costs a native call. */
  private readonly v4: BlockList | null = null;
  private readonly v6: BlockList | null = null;

  constructor(entries: Iterable<Cidr>) {
    for (const c of entries) {
      if (c.family === 4) (this.v4 ??= new BlockList()).addSubnet(c.ip, c.prefix, 'ipv4');
      else (this.v6 ??= new BlockList()).addSubnet(c.ip, c.prefix, 'ipv6');
    }
  }

  /** Whether `address`, as a socket or a header gives it, is in the set. */
  has(address: string): boolean {
    const ip = normalizePeer(address);
    return this.hasIp(ip, isIP(ip));
  }

  /** The same for an address already normalised whose `isIP` family the caller knows (0: not an IP). */
  hasIp(ip: string, family: number): boolean {
    if (family === 4) return this.v4 !== null && this.v4.check(ip, 'ipv4');
    return family === 6 && this.v6 !== null && this.v6.check(ip, 'ipv6');
  }
}
