/** Samples of a Prometheus text exposition (what `GET /metrics` answers): name, labels, value. */
export type MetricSamples = { name: string; labels: Record<string, string>; value: number }[];

export function parseMetrics(text: string): MetricSamples {
  const out: MetricSamples = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!m) continue;
    out.push({ name: m[1]!, labels: Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!])), value: Number(m[3]) });
  }
  return out;
}

/** The sum of a metric's samples whose labels include `labels` (0 when there is none). */
export function metricTotal(samples: MetricSamples, name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

/** Whether a metric has a sample whose labels include `labels`. */
export const hasMetric = (samples: MetricSamples, name: string, labels: Record<string, string> = {}) =>
  samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
