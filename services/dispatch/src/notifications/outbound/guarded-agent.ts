import type { LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { targetOf, type OutboundPolicy, type OutboundTarget, type RefusedRange } from './address-policy';
import { refusalAmong, systemResolver, type Resolver } from './destination';

/** A connection refused by the outbound policy. Its message never holds the address. */
export class BlockedAddress extends Error {
  readonly code = 'ERR_YUQING_BLOCKED_ADDRESS';
  constructor(readonly range: RefusedRange) {
    super('blocked address');
    this.name = 'BlockedAddress';
  }
}

/** True when the error, or one it was caused by, is a BlockedAddress. */
export function isBlockedAddress(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth += 1) {
    if (e instanceof BlockedAddress || e.code === 'ERR_YUQING_BLOCKED_ADDRESS') return true;
  }
  return false;
}

/**
 * The lookup a socket uses for a host name: resolves, refuses the connection if
 * any address is refused (so that no address family or retry can pick the bad
 * one), and otherwise hands the addresses on in the form net.connect asked for.
 */
function guardedLookup(policy: OutboundPolicy, port: number, resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    const target: OutboundTarget = { host: hostname.replace(/\.$/, '').toLowerCase(), port };
    resolve(hostname).then(
      (addresses) => {
        const range = refusalAmong(policy, target, addresses);
        if (range) return callback(new BlockedAddress(range), '', 0);
        const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
        const usable = addresses.filter((a) => family === 0 || isIP(a) === family);
        if (usable.length === 0) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), '', 0);
        if ((options as { all?: boolean }).all)
          return callback(
            null,
            usable.map((address): LookupAddress => ({ address, family: isIP(address) })),
          );
        return callback(null, usable[0]!, isIP(usable[0]!));
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

/**
 * The HTTP agent webhooks and robots are sent through. It checks the address of
 * every connection it opens, after resolution and just before connecting: an
 * address checked when the channel was saved may resolve elsewhere by now (DNS
 * rebinding). Address literals are checked as they are; names through the
 * lookup above; names NOTIFY_ALLOW_HOSTS lists connect as usual.
 */
export function createGuardedAgent(policy: OutboundPolicy, options: { resolve?: Resolver; connectTimeoutMs?: number } = {}): Agent {
  const resolve = options.resolve ?? systemResolver;
  const timeout = options.connectTimeoutMs ?? 10_000;
  const plain = buildConnector({ timeout });
  // One connector per port: the lookup has to know it (an exception may name host:port).
  const byPort = new Map<number, buildConnector.connector>();
  const guarded = (port: number) => {
    let connector = byPort.get(port);
    if (!connector) {
      connector = buildConnector({ timeout, lookup: guardedLookup(policy, port, resolve) });
      byPort.set(port, connector);
    }
    return connector;
  };
  const connect: buildConnector.connector = (opts, callback) => {
    const target = targetOf(
      new URL(
        `${opts.protocol}//${opts.hostname.includes(':') && !opts.hostname.startsWith('[') ? `[${opts.hostname}]` : opts.hostname}${opts.port ? `:${opts.port}` : ''}`,
      ),
    );
    if (policy.allowsName(target)) return plain(opts, callback);
    const named = policy.refusedName(target);
    if (named) return callback(new BlockedAddress(named), null);
    if (isIP(target.host)) {
      // net.connect does not look up an address literal: this is its only check.
      const range = policy.refusal(target, target.host);
      return range ? callback(new BlockedAddress(range), null) : plain(opts, callback);
    }
    return guarded(target.port)(opts, callback);
  };
  return new Agent({ connect });
}
