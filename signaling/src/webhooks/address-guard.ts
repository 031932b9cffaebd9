import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/*
 * A webhook URL is typed by an admin, so a careless or hostile one could point our servers at what only
 * they can reach: Redis, the cloud's metadata service (169.254.169.254: credentials), an intranet. Only
 * public unicast addresses are reachable, unless the server's config lists a range. The check is made on
 * the addresses the name resolves to, and the request then connects to the very address checked (not to
 * the name again), so a name that resolves differently a moment later (DNS rebinding) gains nothing.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/** Why a URL's host may not be reached: it does not resolve, or it resolves to a refused address. */
export class AddressRefused extends Error {
  constructor(readonly reason: 'dns' | 'forbidden_address') {
    super(reason === 'dns' ? 'the host does not resolve' : 'the host is a private, loopback, link-local or metadata address');
  }
}

/** `WEBHOOK_ALLOWED_ADDRESS_RANGES`: CIDR ranges, comma separated (throws on a malformed one). */
export function parseAddressRanges(value: string): Range[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((cidr) => {
      try {
        return ipaddr.parseCIDR(cidr) as Range;
      } catch {
        throw new Error(`not a CIDR range: ${cidr.slice(0, 60)}`);
      }
    });
}

/** An IPv4 address written as IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is. */
function normalized(address: string): Address | null {
  if (!ipaddr.isValid(address)) return null;
  const parsed = ipaddr.parse(address);
  return parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
}

export class AddressGuard {
  constructor(
    private readonly allowed: Range[],
    private readonly resolve: (host: string) => Promise<string[]> = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address),
  ) {}

  static fromSetting(value: string): AddressGuard {
    return new AddressGuard(parseAddressRanges(value));
  }

  /**
   * Public unicast only: not private (10/8, 172.16/12, 192.168/16), loopback, link-local (169.254/16, where
   * cloud metadata lives; fe80::/10), unique-local (fc00::/7, e.g. fd00:ec2::254), carrier-grade NAT
   * (100.64/10, e.g. 100.100.100.200), unspecified, multicast, broadcast, reserved, nor IPv6 forms that
   * embed an IPv4 address (6to4, Teredo, NAT64) - unless the config allows the range.
   */
  isAllowed(address: string): boolean {
    const addr = normalized(address);
    if (!addr) return false;
    // (match() is typed per address family; the kinds are checked equal first.)
    if (this.allowed.some(([net, bits]) => net.kind() === addr.kind() && (addr as ipaddr.IPv4).match(net as ipaddr.IPv4, bits))) return true;
    return addr.range() === 'unicast';
  }

  /**
   * The address to connect to for a URL's host name (brackets of an IPv6 literal allowed). Every address the
   * name resolves to must be allowed: a name with one public and one private address is refused.
   */
  async addressFor(host: string): Promise<string> {
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    let addresses: string[];
    if (ipaddr.isValid(bare)) addresses = [bare];
    else {
      try {
        addresses = await this.resolve(bare);
      } catch {
        throw new AddressRefused('dns');
      }
    }
    if (!addresses.length) throw new AddressRefused('dns');
    if (!addresses.every((a) => this.isAllowed(a))) throw new AddressRefused('forbidden_address');
    // The canonical form of what was checked: nothing is left for the socket layer to interpret differently.
    return normalized(addresses[0]!)!.toString();
  }
}
