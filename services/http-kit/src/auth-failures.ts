import { normalizeIP } from '@fastify/rate-limit';
import { HttpProblem } from './problem';

/** Addresses tracked at most; past that, windows already over are dropped, then the oldest. */
const MAX_TRACKED = 10_000;

/**
 * Failed authentications per client address, in fixed windows. The rate limit
 * proper is per principal, and a request that fails to authenticate has none:
 * without this, random or missing keys could be sent without end, each costing
 * a database lookup. An IPv6 address counts by its /64, as one host's range.
 */
export class AuthFailures {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly max: number,
    readonly windowMs = 60_000,
  ) {}

  /** 429 problem+json when `address` has failed more than `max` times in its current window. */
  refuseIfBlocked(address: string, now = Date.now()): void {
    const w = this.windows.get(normalizeIP(address));
    if (!w || w.resetAt <= now || w.count < this.max) return;
    const seconds = Math.max(1, Math.ceil((w.resetAt - now) / 1000));
    throw new HttpProblem(
      429,
      'too_many_failed_authentications',
      'Too Many Requests',
      `more than ${this.max} requests without a valid API key from this address within ${Math.round(this.windowMs / 1000)} s; retry in ${seconds} s with a valid key`,
      undefined,
      { 'retry-after': String(seconds) },
    );
  }

  /** Counts one failure of `address` and hands back `problem`, for `throw failures.failed(ip, problem)`. */
  failed<P>(address: string, problem: P, now = Date.now()): P {
    const key = normalizeIP(address);
    const w = this.windows.get(key);
    if (w && w.resetAt > now) w.count++;
    else {
      this.windows.delete(key);
      this.windows.set(key, { count: 1, resetAt: now + this.windowMs });
      if (this.windows.size > MAX_TRACKED) this.prune(now);
    }
    return problem;
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
    // Insertion order is the order windows opened: the oldest go first.
    for (const k of this.windows.keys()) {
      if (this.windows.size <= MAX_TRACKED) break;
      this.windows.delete(k);
    }
  }
}
