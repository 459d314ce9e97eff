import { FOUR_FIRSTS, FOUR_FIRST_LABELS, type FourFirst } from '@yuqing/shared';
import type { FourFirstsRow } from './stats.repository';

/** Milliseconds from intake to each first, or null when not reached (or not on the incident's path). */
export function fourFirstDelays(r: FourFirstsRow): Record<FourFirst, number | null> {
  const since = (d: Date | null) => (d ? d.getTime() - r.receivedAt.getTime() : null);
  return {
    assessed: since(r.assessedAt),
    dispatched: since(r.dispatchedAt),
    cyberspace_liaison: r.liaisonApplies ? since(r.liaisonAt) : null,
    procedure_started: since(r.procedureAt),
  };
}

/** Whether a first is on an incident's path at all (the cyberspace liaison is not for general incidents). */
export function fourFirstApplies(r: FourFirstsRow, first: FourFirst): boolean {
  return first !== 'cyberspace_liaison' || r.liaisonApplies;
}

/** The p-th percentile (0–1) by linear interpolation between closest ranks, as PostgreSQL's percentile_cont. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = p * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return Math.round(sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo));
}

/** For each first: how many incidents it applies to, how many reached it, and p50/p90 of the delay. */
export function summarizeFourFirsts(rows: readonly FourFirstsRow[]) {
  return FOUR_FIRSTS.map((first) => {
    const applicable = rows.filter((r) => fourFirstApplies(r, first));
    const delays = applicable
      .map((r) => fourFirstDelays(r)[first])
      .filter((ms): ms is number => ms !== null)
      .sort((a, b) => a - b);
    return {
      first,
      label: FOUR_FIRST_LABELS[first],
      applicable: applicable.length,
      reached: delays.length,
      pending: applicable.length - delays.length,
      p50Ms: percentile(delays, 0.5),
      p90Ms: percentile(delays, 0.9),
    };
  });
}
