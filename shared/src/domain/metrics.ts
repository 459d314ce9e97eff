import type { Metrics } from './assessment';

/**
 * An incident's reports added up, as the database sums them (intake's
 * `report.repository.ts`). Each source (a post, an article, a video: one normalised
 * URL) counts once, with its newest figures: its `current` report.
 */
export interface ReportSums {
  /** Sources: current reports. */
  readonly sources: number;
  /** Σ reportCount of the current reports that carry one; null when none does. */
  readonly reportCount: number | null;
  readonly reach: number | null;
  /** Σ spreadPerHour of the current reports received within the spread window. */
  readonly spreadInWindow: number | null;
  /** Every report (current or not) received within the spread window. */
  readonly reportsInWindow: number;
  /** Σ negativeRatio × weight and Σ weight over the current reports with a ratio; the weight is the reach (at least 1). */
  readonly negativeWeighted: number | null;
  readonly negativeWeight: number | null;
  /** Whether any current report saw important media; null when none said. */
  readonly importantMedia: boolean | null;
}

/**
 * An incident's metrics from its reports' sums:
 * - report count: the sources' report counts added up, and at least the number of sources;
 * - reach: added up across sources;
 * - spread per hour over a sliding window: the spread of the sources seen within it
 *   added up, and at least the reports received in it per hour (it spreads at least as
 *   fast as we hear of it);
 * - negative ratio weighted by reach (a post read by millions weighs more than one read by ten);
 * - important media: seen once any source saw it.
 */
export function metricsFromSums(s: ReportSums, spreadWindowMs: number): Metrics {
  const result: { -readonly [K in keyof Metrics]: Metrics[K] } = {};
  result.reportCount = Math.max(s.reportCount ?? 0, s.sources);
  if (s.reach !== null) result.reach = s.reach;
  const perHour = s.reportsInWindow / Math.max(spreadWindowMs / 3_600_000, 1 / 60);
  result.spreadPerHour = Math.round(Math.max(s.spreadInWindow ?? 0, perHour) * 10) / 10;
  if (s.negativeWeighted !== null && s.negativeWeight) result.negativeRatio = Math.round((s.negativeWeighted / s.negativeWeight) * 1_000) / 1_000;
  if (s.importantMedia !== null) result.importantMedia = s.importantMedia;
  return result;
}

/** The sums of a single report: an incident's first. */
export function sumsOfOne(m: Metrics): ReportSums {
  const weight = m.reach && m.reach > 0 ? m.reach : 1;
  return {
    sources: 1,
    reportCount: m.reportCount ?? null,
    reach: m.reach ?? null,
    spreadInWindow: m.spreadPerHour ?? null,
    reportsInWindow: 1,
    negativeWeighted: m.negativeRatio !== undefined ? m.negativeRatio * weight : null,
    negativeWeight: m.negativeRatio !== undefined ? weight : null,
    importantMedia: m.importantMedia ?? null,
  };
}
