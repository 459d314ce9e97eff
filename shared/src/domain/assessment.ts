import { maxTier, tierRank } from './tiers';
import { FLAG_FLOORS, type Flag, type Tier } from './vocabulary';

/** What the monitoring platform measured (all optional: a district may know little). */
export interface Metrics {
  readonly reportCount?: number | undefined;
  readonly reach?: number | undefined;
  readonly spreadPerHour?: number | undefined;
  readonly negativeRatio?: number | undefined;
  readonly importantMedia?: boolean | undefined;
}

export interface AssessmentInput {
  readonly metrics?: Metrics | undefined;
  readonly flags?: readonly Flag[] | undefined;
  readonly suggestedTier?: Tier | undefined;
}

/** One rule that fired, kept with the incident so the tier can be explained. */
export interface AssessmentReason {
  readonly rule: string;
  readonly tier: Tier;
}

export interface Assessment {
  readonly tier: Tier;
  readonly reasons: readonly AssessmentReason[];
}

/**
 * Spread thresholds of the first rule set (plan §4: "many reports, spreading fast"
 * is sensitive; "important media or high attention, wide spread" is major).
 */
export const SPREAD_THRESHOLDS = {
  sensitive: { reportCount: 50, reach: 1_000_000, spreadPerHour: 20 },
  major: { reportCount: 500, reach: 10_000_000, spreadPerHour: 200 },
} as const;

/**
 * Assesses the tier: the most severe of the caller's suggestion, the flags' floors
 * and the spread thresholds. A suggestion can raise the tier but never lower what
 * the rules found.
 */
export function assessTier(input: AssessmentInput): Assessment {
  const reasons: AssessmentReason[] = [];
  const m = input.metrics ?? {};

  if (input.suggestedTier) reasons.push({ rule: 'suggested_tier', tier: input.suggestedTier });
  for (const flag of input.flags ?? []) reasons.push({ rule: `flag:${flag}`, tier: FLAG_FLOORS[flag] });
  if (m.importantMedia) reasons.push({ rule: 'important_media', tier: 'major' });

  for (const tier of ['major', 'sensitive'] as const) {
    const t = SPREAD_THRESHOLDS[tier];
    const hits = [
      (m.reportCount ?? 0) >= t.reportCount && 'report_count',
      (m.reach ?? 0) >= t.reach && 'reach',
      (m.spreadPerHour ?? 0) >= t.spreadPerHour && 'spread_per_hour',
    ].filter((hit): hit is string => Boolean(hit));
    if (hits.length > 0) {
      reasons.push(...hits.map((hit) => ({ rule: `${hit}>=${tier}`, tier })));
      break;
    }
  }

  const tier = maxTier(...reasons.map((r) => r.tier));
  return { tier, reasons: reasons.sort((a, b) => tierRank(b.tier) - tierRank(a.tier)) };
}
