import type { Metrics } from './assessment';

/** One report's measurements of one source (a post, an article, a video), at a time. */
export interface Sighting {
  /** The same source measured again replaces its earlier figures (the caller's id or the URL). */
  readonly sourceKey: string;
  readonly metrics: Metrics;
  /** Epoch milliseconds it was received. */
  readonly at: number;
}

/**
 * An incident's metrics from its reports: each source counts once, with its newest
 * figures; counts, reach and spread add up across sources; the negative ratio is
 * weighted by reach (a post read by millions weighs more than one read by ten);
 * important media is seen once any source saw it.
 */
export function aggregateMetrics(sightings: readonly Sighting[]): Metrics {
  const latest = new Map<string, Sighting>();
  for (const s of sightings) {
    const seen = latest.get(s.sourceKey);
    if (!seen || s.at >= seen.at) latest.set(s.sourceKey, s);
  }
  const all = [...latest.values()].map((s) => s.metrics);
  const sum = (key: 'reportCount' | 'reach' | 'spreadPerHour'): number | undefined =>
    all.some((m) => m[key] !== undefined) ? all.reduce((n, m) => n + (m[key] ?? 0), 0) : undefined;
  const rated = all.filter((m) => m.negativeRatio !== undefined);
  const weight = (m: Metrics) => (m.reach && m.reach > 0 ? m.reach : 1);
  const negativeRatio = rated.length ? rated.reduce((n, m) => n + m.negativeRatio! * weight(m), 0) / rated.reduce((n, m) => n + weight(m), 0) : undefined;
  const result: { -readonly [K in keyof Metrics]: Metrics[K] } = {};
  const reportCount = sum('reportCount');
  const reach = sum('reach');
  const spreadPerHour = sum('spreadPerHour');
  if (reportCount !== undefined) result.reportCount = reportCount;
  if (reach !== undefined) result.reach = reach;
  if (spreadPerHour !== undefined) result.spreadPerHour = spreadPerHour;
  if (negativeRatio !== undefined) result.negativeRatio = Math.round(negativeRatio * 1_000) / 1_000;
  if (all.some((m) => m.importantMedia !== undefined)) result.importantMedia = all.some((m) => m.importantMedia === true);
  return result;
}
