import { CorrelationPolicySchema, DEFAULT_CORRELATION_POLICY, durationMs, findPolicy, type CorrelationPolicy, type Db } from '@yuqing/shared';

/** The correlation rules in force, with their durations in milliseconds. */
export interface CorrelationRules extends CorrelationPolicy {
  readonly windowMs: number;
  readonly spreadWindowMs: number;
}

const rulesOf = (p: CorrelationPolicy): CorrelationRules => ({ ...p, windowMs: durationMs(p.window), spreadWindowMs: durationMs(p.spreadWindow) });

/** How long a read of the city policy is used before it is read again: a publish takes effect within this. */
const TTL_MS = 10_000;

/**
 * The city policy's correlation section (window, text threshold, spread window,
 * surge floor), read at most every ten seconds: it is data, versioned with the
 * policy, and a burst of reports must not read and parse the policy each time.
 */
export function correlationRules(db: Db): () => Promise<CorrelationRules> {
  let cached: { at: number; rules: CorrelationRules } | undefined;
  let reading: Promise<CorrelationRules> | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < TTL_MS) return cached.rules;
    reading ??= (async () => {
      try {
        const city = await findPolicy(db, 'city');
        const section = (city?.document as { correlation?: unknown } | undefined)?.correlation;
        const parsed = CorrelationPolicySchema.safeParse(section ?? {});
        const rules = rulesOf(parsed.success ? parsed.data : DEFAULT_CORRELATION_POLICY);
        cached = { at: Date.now(), rules };
        return rules;
      } finally {
        reading = undefined;
      }
    })();
    return reading;
  };
}
