import { isIP } from 'node:net';

/**
 * One exception to the outbound address rules (`NOTIFY_ALLOW_HOSTS`): a host name
 * (whatever it resolves to), or an address or CIDR range; either may carry a port.
 */
export type AllowEntry =
  | { readonly kind: 'name'; readonly name: string; readonly port?: number }
  | { readonly kind: 'range'; readonly address: string; readonly prefix: number; readonly port?: number };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

function portOf(text: string | undefined, entry: string): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > 65_535) throw new Error(`bad port in "${entry}"`);
  return port;
}

function entryOf(raw: string): AllowEntry {
  const entry = raw.trim().toLowerCase();
  // [v6] or [v6]:port
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    if (isIP(bracketed[1]!) !== 6) throw new Error(`not an IPv6 address in "${raw}"`);
    const port = portOf(bracketed[2], raw);
    return { kind: 'range', address: bracketed[1]!, prefix: 128, ...(port ? { port } : {}) };
  }
  // 10.0.0.0/8, fd00::/8
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const address = entry.slice(0, slash);
    const prefix = Number(entry.slice(slash + 1));
    const family = isIP(address);
    if (!family || !/^\d{1,3}$/.test(entry.slice(slash + 1)) || prefix > (family === 4 ? 32 : 128)) throw new Error(`not a CIDR range: "${raw}"`);
    return { kind: 'range', address, prefix };
  }
  // a bare IPv6 address (its colons leave no room for a port)
  if (isIP(entry) === 6) return { kind: 'range', address: entry, prefix: 128 };
  const [, host, portText] = /^([^:]+)(?::(\d+))?$/.exec(entry) ?? [];
  if (!host) throw new Error(`not a host name, address or CIDR range: "${raw}"`);
  const port = portOf(portText, raw);
  if (isIP(host) === 4) return { kind: 'range', address: host, prefix: 32, ...(port ? { port } : {}) };
  const name = host.replace(/\.$/, '');
  // Only dotted decimal counts as an address here: `0x7f.1` is neither a name nor a clear address.
  if (!HOST_NAME.test(name) || /^[0-9.]+$/.test(name) || /^0x/.test(name)) throw new Error(`not a host name, address or CIDR range: "${raw}"`);
  return { kind: 'name', name, ...(port ? { port } : {}) };
}

/**
 * Parses `NOTIFY_ALLOW_HOSTS`: comma-separated host names, addresses, `host:port`
 * (`[v6]:port`) or CIDR ranges, e.g. `127.0.0.1, hooks.internal:8443, 10.20.0.0/16`.
 * Throws naming the first bad entry.
 */
export function parseAllowHosts(text: string): AllowEntry[] {
  return text
    .split(',')
    .filter((e) => e.trim() !== '')
    .map(entryOf);
}

/** For zod: true when `parseAllowHosts` accepts the text. */
export function validAllowHosts(text: string): boolean {
  try {
    parseAllowHosts(text);
    return true;
  } catch {
    return false;
  }
}
