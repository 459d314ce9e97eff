import type { Db } from '../db/database';
import { durationMs } from '../domain/durations';
import { findPolicy } from './policy.repository';
import { CorrelationPolicySchema, DEFAULT_CORRELATION_POLICY, type CorrelationPolicy } from './policy.schema';

/** The correlation rules in force, with their durations in milliseconds. */
export interface CorrelationRules extends CorrelationPolicy {
  readonly windowMs: number;
  readonly spreadWindowMs: number;
}

/** The newest city policy's correlation section (its defaults for a policy stored before it existed). */
export async function readCorrelationRules(db: Db): Promise<CorrelationRules> {
  const city = await findPolicy(db, 'city');
  const section = (city?.document as { correlation?: unknown } | undefined)?.correlation;
  const parsed = CorrelationPolicySchema.safeParse(section ?? {});
  const p = parsed.success ? parsed.data : DEFAULT_CORRELATION_POLICY;
  return { ...p, windowMs: durationMs(p.window), spreadWindowMs: durationMs(p.spreadWindow) };
}
