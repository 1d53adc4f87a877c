import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Which peers' X-Forwarded-Proto is believed (gunicorn --forwarded-allow-ips).
 * Entries are IPs, CIDRs or '*'.
 */
export class ForwardedTrust {
  private readonly all: boolean;
  private readonly list = new BlockList();
  private readonly none: boolean;

  constructor(entries: readonly string[]) {
    this.all = entries.includes('*');
    this.none = entries.length === 0;
    for (const entry of entries) {
      if (entry === '*') continue;
      const slash = entry.indexOf('/');
      const ip = slash === -1 ? entry : entry.slice(0, slash);
      const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : '';
      if (family === '') throw new TypeError(`forwardedAllowIps: ${JSON.stringify(entry)} is not an IP, CIDR or '*'`);
      if (slash === -1) this.list.addAddress(ip, family);
      else this.list.addSubnet(ip, Number(entry.slice(slash + 1)), family);
    }
  }

  trusts(address: string): boolean {
    if (this.all) return true;
    if (this.none || address === '') return false;
    if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) address = address.slice(7);
    return this.list.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
  }
}
