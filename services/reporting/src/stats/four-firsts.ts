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

const MINUTE = 60_000;
/** Histogram bins of the four firsts' delays: fine where the plan's deadlines are (minutes to hours), then coarse. */
export const DELAY_BINS: readonly { readonly label: string; readonly toMs: number | null }[] = [
  { label: '5分钟内', toMs: 5 * MINUTE },
  { label: '5–15分钟', toMs: 15 * MINUTE },
  { label: '15–30分钟', toMs: 30 * MINUTE },
  { label: '30分钟–1小时', toMs: 60 * MINUTE },
  { label: '1–2小时', toMs: 120 * MINUTE },
  { label: '2–4小时', toMs: 240 * MINUTE },
  { label: '4–12小时', toMs: 720 * MINUTE },
  { label: '12–24小时', toMs: 1_440 * MINUTE },
  { label: '24小时以上', toMs: null },
];

/** For each first: how its delays from intake are distributed over `DELAY_BINS` (bins are `[from, to)`), and how many are still pending. */
export function fourFirstHistograms(rows: readonly FourFirstsRow[]) {
  return FOUR_FIRSTS.map((first) => {
    const applicable = rows.filter((r) => fourFirstApplies(r, first));
    const delays = applicable.map((r) => fourFirstDelays(r)[first]).filter((ms): ms is number => ms !== null);
    let fromMs = 0;
    const bins = DELAY_BINS.map((b) => {
      const bin = { label: b.label, fromMs, toMs: b.toMs, count: delays.filter((d) => d >= fromMs && (b.toMs === null || d < b.toMs)).length };
      fromMs = b.toMs ?? fromMs;
      return bin;
    });
    return { first, label: FOUR_FIRST_LABELS[first], applicable: applicable.length, reached: delays.length, pending: applicable.length - delays.length, bins };
  });
}
