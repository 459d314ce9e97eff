import { sql } from 'kysely';
import {
  DISTRICTS,
  formatBeijing,
  INCIDENT_STATUS_LABELS,
  INCIDENT_STATUSES,
  ROLE_LABELS,
  TIER_LABELS,
  TIERS,
  TOPIC_LABELS,
  TOPICS,
  type Db,
  type SummaryCount,
  type SummaryFigures,
  type Topic,
} from '@yuqing/shared';
import { summarizeFourFirsts } from '../stats/four-firsts';
import { fourFirsts, incidentCounts, lapsesByUnit, openOverdueTasks, type Count, type Period } from '../stats/stats.repository';

/** Every code of a fixed set, with zero where none was counted (a report shows the zeros too). */
function complete<T extends string>(codes: readonly T[], counts: readonly Count[], labels: Readonly<Record<T, string>>): SummaryCount[] {
  return codes.map((code) => ({ key: code, label: labels[code], count: counts.find((c) => c.key === code)?.count ?? 0 }));
}

/** Incidents received in the period by topic. */
async function countsByTopic(db: Db, p: Period): Promise<Count<Topic>[]> {
  const rows = await db
    .selectFrom('incidents')
    .where('createdAt', '>=', p.from)
    .where('createdAt', '<', p.to)
    .select(['topic as key', sql<string>`count(*)`.as('count')])
    .groupBy('topic')
    .execute();
  return rows.map((r) => ({ key: r.key, count: Number(r.count) }));
}

/** Incidents open now, and of those the ones with a lapsed task. */
async function openIncidents(db: Db): Promise<{ incidents: number; overdueIncidents: number }> {
  const row = await db
    .selectFrom('incidents')
    .where('status', 'in', ['received', 'handling'])
    .select([sql<string>`count(*)`.as('open'), sql<string>`count(*) filter (where overdue)`.as('overdue')])
    .executeTakeFirstOrThrow();
  return { incidents: Number(row.open), overdueIncidents: Number(row.overdue) };
}

/**
 * The figures of a summary report (舆情日报/周报) for a period, from the same read
 * models as the statistics (GET /v1/stats): incidents received by tier, district,
 * topic and status; what is open and overdue when the report is made; lapses
 * held against each unit; the four firsts of the period's incidents.
 */
export async function summaryFigures(db: Db, period: Period, unitNames: ReadonlyMap<string, string>): Promise<SummaryFigures> {
  const [counts, topics, open, overdue, lapses, firsts] = await Promise.all([
    incidentCounts(db, period),
    countsByTopic(db, period),
    openIncidents(db),
    openOverdueTasks(db, 1),
    lapsesByUnit(db, period),
    fourFirsts(db, { period }),
  ]);
  return {
    period: { from: period.from.toISOString(), to: period.to.toISOString(), fromLocal: formatBeijing(period.from), toLocal: formatBeijing(period.to) },
    incidents: {
      total: counts.total,
      byTier: complete(TIERS, counts.byTier, TIER_LABELS),
      byDistrict: counts.byDistrict.map((c) => ({ key: c.key, label: c.key ? DISTRICTS[c.key] : '未指明区县', count: c.count })),
      byTopic: complete(TOPICS, topics, TOPIC_LABELS).filter((c) => c.count > 0),
      byStatus: complete(INCIDENT_STATUSES, counts.byStatus, INCIDENT_STATUS_LABELS),
    },
    open: { ...open, overdueTasks: overdue.total },
    lapsesByUnit: lapses.map((u) => ({
      unitId: u.unitId,
      unitName: u.unitId ? (unitNames.get(u.unitId) ?? u.unitId) : u.roles.map((r) => ROLE_LABELS[r]).join('、'),
      lapses: u.lapses,
      unresolved: u.unresolved,
      escalations: u.escalations,
    })),
    fourFirsts: summarizeFourFirsts(firsts),
  };
}
