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
/**
 * Below this share of negative posts, reach and spread alone are not a risk
 * (plan §4: a general incident is one whose negative effect is small).
 */
export const LOW_NEGATIVE_RATIO = 0.3;

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

  const mild = m.negativeRatio !== undefined && m.negativeRatio < LOW_NEGATIVE_RATIO;
  for (const tier of ['major', 'sensitive'] as const) {
    const t = SPREAD_THRESHOLDS[tier];
    const wide = [(m.reach ?? 0) >= t.reach && 'reach', (m.spreadPerHour ?? 0) >= t.spreadPerHour && 'spread_per_hour'].filter((hit): hit is string =>
      Boolean(hit),
    );
    const hits = [(m.reportCount ?? 0) >= t.reportCount && 'report_count', ...(mild ? [] : wide)].filter((hit): hit is string => Boolean(hit));
    if (hits.length > 0) {
      reasons.push(...hits.map((hit) => ({ rule: `${hit}>=${tier}`, tier })));
      break;
    }
    // Said in the reasons (once, at the highest tier it reached), so the office sees why wide reach did not raise the tier.
    if (mild && wide.length > 0 && !reasons.some((r) => r.rule.includes('negative_ratio<')))
      reasons.push({ rule: `${wide.join('+')}>=${tier} but negative_ratio<${LOW_NEGATIVE_RATIO}`, tier: 'general' });
  }

  const tier = maxTier(...reasons.map((r) => r.tier));
  return { tier, reasons: reasons.sort((a, b) => tierRank(b.tier) - tierRank(a.tier)) };
}

/** True when the tier rests on the reporter's suggestion alone: no rule found it. */
export function suggestedOnly(a: Pick<Assessment, 'tier' | 'reasons'>): boolean {
  const top = a.reasons.filter((r) => r.tier === a.tier);
  return top.length > 0 && top.every((r) => r.rule === 'suggested_tier');
}
