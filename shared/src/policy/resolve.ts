import type { DistrictOverride, PolicyDocument, PolicySnapshot } from './policy.schema';

/**
 * Applies a district's local plan on top of the city policy: only deadlines,
 * chains and mandatory flags of tasks the city policy has can change, so a
 * district cannot drop a step the plan requires.
 */
export function resolvePolicy(
  city: { version: number; document: PolicyDocument },
  district?: { scope: string; version: number; document: DistrictOverride },
): PolicySnapshot {
  if (!district) return { version: `city@${city.version}`, document: city.document };
  const document = structuredClone(city.document);
  for (const [tier, overrides] of Object.entries(district.document.tiers)) {
    const tierPolicy = document.tiers[tier as keyof PolicyDocument['tiers']];
    for (const task of tierPolicy.tasks) {
      const o = overrides?.[task.kind];
      if (!o) continue;
      if (o.deadline !== undefined) task.deadline = o.deadline;
      if (o.chain !== undefined) task.chain = o.chain;
      if (o.mandatory !== undefined) task.mandatory = o.mandatory;
    }
  }
  return { version: `city@${city.version}+${district.scope}@${district.version}`, document };
}

/**
 * Problems with a district plan against the city policy: it may only adjust
 * tasks the city policy has for that tier. Each problem names its path.
 */
export function districtOverrideProblems(city: PolicyDocument, override: DistrictOverride): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  for (const [tier, tasks] of Object.entries(override.tiers)) {
    const known = new Set(city.tiers[tier as keyof PolicyDocument['tiers']].tasks.map((t) => t.kind));
    for (const kind of Object.keys(tasks ?? {})) {
      if (!known.has(kind as never)) problems.push({ path: ['tiers', tier, kind], message: `the city policy has no task ${kind} for ${tier}` });
    }
  }
  return problems;
}
