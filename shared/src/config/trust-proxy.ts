import { isIP } from 'node:net';

/** The ranges proxy-addr (Fastify's `trustProxy`) knows by name. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Parses `TRUST_PROXY`: comma-separated addresses or CIDR ranges of the proxies in
 * front of the services (or loopback, linklocal, uniquelocal). Throws naming the
 * first bad entry: a host name cannot be trusted, its address may change.
 */
export function parseTrustProxy(text: string): string[] {
  return text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((entry) => {
      if (NAMED_RANGES.has(entry)) return entry;
      const [address, prefix, ...rest] = entry.split('/');
      const family = isIP(address!);
      const fits = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
      if (!family || !fits || rest.length > 0) throw new Error(`not an address or CIDR range: "${entry}"`);
      return entry;
    });
}

/** Whether `TRUST_PROXY` parses (for the config schema). */
export function validTrustProxy(text: string): boolean {
  try {
    parseTrustProxy(text);
    return true;
  } catch {
    return false;
  }
}
