import { TIERS, type Tier } from './vocabulary';

/** 0 for `general` up to 3 for `critical`. */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/** The more severe of the given tiers. */
export function maxTier(...tiers: Tier[]): Tier {
  return tiers.reduce((a, b) => (tierRank(b) > tierRank(a) ? b : a), 'general');
}
