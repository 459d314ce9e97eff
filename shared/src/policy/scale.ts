import { durationMs } from '../domain/durations';
import type { PolicyDocumentInput } from './policy.schema';

/**
 * Returns a copy of a policy with every duration multiplied by `factor`, e.g.
 * `1 / 3600` turns hours into seconds. Tests and benchmarks use it to run the real
 * default policy on second-scale clocks (the dev server has no time skipping).
 */
export function scalePolicy(doc: PolicyDocumentInput, factor: number, name = `${doc.name} ×${factor}`): PolicyDocumentInput {
  const scale = (d: string): string => (durationMs(d) === 0 ? '0ms' : `${Math.max(1, Math.round(durationMs(d) * factor))}ms`);
  const copy = structuredClone<PolicyDocumentInput>(doc);
  copy.name = name;
  for (const tier of Object.values(copy.tiers)) {
    for (const t of tier.tasks) {
      if (t.deadline) t.deadline = scale(t.deadline);
      if (t.repeat) t.repeat = scale(t.repeat);
      if (t.warnBefore) t.warnBefore = scale(t.warnBefore);
      for (const step of t.chain ?? []) step.after = scale(step.after);
    }
  }
  return copy;
}
