import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';
import { parseAllowHosts, type AllowEntry } from '@yuqing/shared';

/**
 * Where webhooks and robots may send. Channel addresses are typed in by
 * directory editors, and every attempt's status shows in the delivery log, so an
 * address on our own network would turn the sender into a port scanner or a
 * door to the cloud's metadata service. Only ordinary public unicast addresses
 * are reached; `NOTIFY_ALLOW_HOSTS` lists the exceptions (an intranet OA system,
 * the tests' loopback receivers).
 */

/** Why an address is refused: ipaddr.js's name of its range, or ours. */
export type RefusedRange = string;

/**
 * Names of cloud metadata services, refused even when they do not resolve here
 * (the addresses behind them are link-local or CGNAT and refused anyway).
 */
const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.tencentyun.com',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.com',
]);

/** `localhost` and every name under it are loopback by definition (RFC 6761), however this machine resolves them. */
const LOOPBACK_NAME = /(^|\.)localhost$/;

/**
 * The range an address belongs to when it may not be reached, or undefined for
 * an ordinary public unicast address. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is
 * judged as the IPv4 address it carries; every other special IPv6 range (NAT64,
 * 6to4, Teredo embed IPv4 addresses too) is refused outright.
 */
export function refusedRange(address: string): RefusedRange | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return 'invalid';
  }
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  return range === 'unicast' ? undefined : range;
}

/** The addresses of this machine's own interfaces: reaching them is reaching our own ports. */
function ownAddresses(): Set<string> {
  const own = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      const address = i.address.split('%')[0]!;
      if (ipaddr.isValid(address)) own.add(ipaddr.process(address).toString());
    }
  }
  return own;
}

/** An exception's range as addresses are compared: an IPv4-mapped IPv6 entry as the IPv4 range it names. */
function rangeOf(address: string, prefix: number): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) return [(parsed as ipaddr.IPv6).toIPv4Address(), prefix - 96];
  return [parsed, prefix];
}

export interface OutboundTarget {
  /** The URL's host: a name (lower case, no trailing dot) or an address (no brackets). */
  readonly host: string;
  readonly port: number;
}

/** The host and port a URL connects to. */
export function targetOf(url: URL): OutboundTarget {
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host, port };
}

export interface OutboundPolicy {
  /** True when NOTIFY_ALLOW_HOSTS lists the host name (with this port, if it names one): any address it resolves to is fine. */
  allowsName(target: OutboundTarget): boolean;
  /** The range a name stands for when it is refused whatever it resolves to (localhost, cloud metadata services). */
  refusedName(target: OutboundTarget): RefusedRange | undefined;
  /** Why `address` (one the target's host is or resolves to) may not be reached, or undefined when it may. */
  refusal(target: OutboundTarget, address: string): RefusedRange | undefined;
}

function portMatches(entry: AllowEntry, port: number): boolean {
  return entry.port === undefined || entry.port === port;
}

/** The policy for `NOTIFY_ALLOW_HOSTS` (see shared/src/config/allow-hosts.ts for its form). */
export function createOutboundPolicy(allowHosts: string, options: { ownAddresses?: ReadonlySet<string> } = {}): OutboundPolicy {
  const entries = parseAllowHosts(allowHosts);
  const names = entries.filter((e): e is Extract<AllowEntry, { kind: 'name' }> => e.kind === 'name');
  const ranges = entries
    .filter((e): e is Extract<AllowEntry, { kind: 'range' }> => e.kind === 'range')
    .map((e) => ({ entry: e, cidr: rangeOf(e.address, e.prefix) }));
  const own = options.ownAddresses ?? ownAddresses();
  return {
    allowsName: (target) => names.some((e) => e.name === target.host && portMatches(e, target.port)),
    refusedName: (target) => (METADATA_HOSTS.has(target.host) ? 'metadata' : LOOPBACK_NAME.test(target.host) ? 'loopback' : undefined),
    refusal(target, address) {
      if (isIP(address) === 0) return 'invalid';
      const parsed = ipaddr.process(address);
      if (ranges.some(({ entry, cidr }) => portMatches(entry, target.port) && parsed.kind() === cidr[0].kind() && parsed.match(cidr))) return undefined;
      return refusedRange(address) ?? (own.has(parsed.toString()) ? 'thisHost' : undefined);
    },
  };
}
