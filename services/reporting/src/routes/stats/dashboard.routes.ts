import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DISTRICTS, formatBeijing, TASK_KINDS, TASK_LABELS, TIER_LABELS, TIERS, TOPIC_LABELS, type Db, type Topic } from '@yuqing/shared';
import { problemResponses, requireAccess } from '@yuqing/http-kit';
import { beijingDays, deadlineCompliance, incidentsPerDay, type ComplianceRow, type DayCount } from '../../stats/dashboard.repository';
import { fourFirstHistograms } from '../../stats/four-firsts';
import { fourFirsts } from '../../stats/stats.repository';
import { DashboardSchema } from './dashboard.schemas';
import { periodOf, StatsQuery } from './stats.schemas';

/** Per-day series aligned with `days`: fixed codes in their order (zeros kept), or the codes seen, most first. */
function series(days: readonly string[], rows: readonly DayCount[], label: (key: string | null) => string, codes?: readonly string[]) {
  const index = new Map(days.map((d, i) => [d, i]));
  const keys = codes ?? [...new Set(rows.map((r) => r.key))];
  const out = keys.map((key) => {
    const counts = days.map(() => 0);
    for (const r of rows) if (r.key === key) counts[index.get(r.day)!]! += r.count;
    return { key, label: label(key), total: counts.reduce((a, b) => a + b, 0), counts };
  });
  return codes ? out : out.sort((a, b) => b.total - a.total || String(a.key).localeCompare(String(b.key)));
}

/** Compliance rows added up per `keyOf`, in `order`, with the share of decided deadlines kept. */
function compliance<K extends string>(
  rows: readonly ComplianceRow[],
  keyOf: (r: ComplianceRow) => K,
  order: readonly K[],
  labels: Readonly<Record<K, string>>,
) {
  return order
    .map((key) =>
      sum(
        rows.filter((r) => keyOf(r) === key),
        key,
        labels[key],
      ),
    )
    .filter((c) => c.onTime + c.late + c.overdue + c.pending > 0);
}
function sum(rows: readonly ComplianceRow[], key: string, label: string) {
  const t = rows.reduce((a, r) => ({ onTime: a.onTime + r.onTime, late: a.late + r.late, overdue: a.overdue + r.overdue, pending: a.pending + r.pending }), {
    onTime: 0,
    late: 0,
    overdue: 0,
    pending: 0,
  });
  const decided = t.onTime + t.late + t.overdue;
  return { key, label, ...t, rate: decided ? t.onTime / decided : null };
}

/**
 * The statistics as a leader's dashboard (ECharts in the console): trends, deadline
 * compliance, the four firsts' distributions. Merged incidents are left out throughout:
 * they were the same event as their survivor, and their open tasks are covered there.
 */
export const dashboardRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/v1/stats/dashboard',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['stats'],
        summary: 'Incidents per day by tier, district and topic; deadline compliance per tier and step; the four firsts as histograms (统计看板)',
        querystring: StatsQuery,
        response: { 200: DashboardSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'bureau.view', {});
      const period = periodOf(request.query);
      const [byTier, byDistrict, byTopic, kept, firsts] = await Promise.all([
        incidentsPerDay(db, period, 'tier'),
        incidentsPerDay(db, period, 'districtCode'),
        incidentsPerDay(db, period, 'topic'),
        deadlineCompliance(db, period),
        fourFirsts(db, { period, withoutMerged: true }),
      ]);
      const days = beijingDays(period);
      return {
        period: { from: period.from.toISOString(), to: period.to.toISOString(), fromLocal: formatBeijing(period.from), toLocal: formatBeijing(period.to) },
        days,
        perDay: {
          byTier: series(days, byTier, (k) => TIER_LABELS[k as (typeof TIERS)[number]], TIERS),
          byDistrict: series(days, byDistrict, (k) => (k ? (DISTRICTS[k as keyof typeof DISTRICTS] ?? k) : '未指明区县')),
          byTopic: series(days, byTopic, (k) => TOPIC_LABELS[k as Topic] ?? String(k)),
        },
        compliance: {
          total: sum(kept, 'all', '全部事项'),
          byTier: compliance(kept, (r) => r.tier, TIERS, TIER_LABELS),
          byKind: compliance(kept, (r) => r.kind, TASK_KINDS, TASK_LABELS),
        },
        fourFirsts: fourFirstHistograms(firsts),
      };
    },
  );
};
