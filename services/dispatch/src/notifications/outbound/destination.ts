import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { OutboundPolicy, OutboundTarget, RefusedRange } from './address-policy';

/** Every address a host name resolves to (the system resolver, as connections use it). */
export type Resolver = (host: string) => Promise<readonly string[]>;

export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** How long a channel's create or update waits for its host name to resolve. */
const RESOLVE_TIMEOUT_MS = 3_000;

/** The first refused range among the addresses, or undefined when all may be reached. */
export function refusalAmong(policy: OutboundPolicy, target: OutboundTarget, addresses: readonly string[]): RefusedRange | undefined {
  for (const address of addresses) {
    const range = policy.refusal(target, address);
    if (range) return range;
  }
  return undefined;
}

/**
 * Checks a webhook or robot address when a channel is created or changed:
 * refused when its host is, or resolves to, any address the policy refuses.
 * A name that does not resolve now is accepted: every connection checks the
 * addresses it is about to use again (guarded-agent.ts), which is what stops
 * DNS rebinding; this check only tells the editor early.
 */
export async function destinationRefusal(
  target: OutboundTarget,
  policy: OutboundPolicy,
  resolve: Resolver = systemResolver,
): Promise<RefusedRange | undefined> {
  if (policy.allowsName(target)) return undefined;
  const named = policy.refusedName(target);
  if (named) return named;
  if (isIP(target.host)) return policy.refusal(target, target.host);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(undefined), RESOLVE_TIMEOUT_MS);
  });
  try {
    const addresses = await Promise.race([resolve(target.host), timeout]);
    return addresses ? refusalAmong(policy, target, addresses) : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
