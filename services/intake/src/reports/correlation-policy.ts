import { readCorrelationRules, type CorrelationRules, type Db } from '@yuqing/shared';

export type { CorrelationRules };

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
    reading ??= readCorrelationRules(db)
      .then((rules) => {
        cached = { at: Date.now(), rules };
        return rules;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
}
