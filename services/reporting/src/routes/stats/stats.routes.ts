import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  DISTRICTS,
  formatBeijing,
  INCIDENT_STATUS_LABELS,
  INCIDENT_STATUSES,
  ROLE_LABELS,
  TASK_LABELS,
  TIER_LABELS,
  TIERS,
  type Db,
  cachedUnitNames,
} from '@yuqing/shared';
import { problemResponses, requireAccess } from '@yuqing/http-kit';
import { fourFirstDelays, summarizeFourFirsts } from '../../stats/four-firsts';
import { fourFirsts, incidentCounts, lapsesByUnit, openOverdueTasks, type Count } from '../../stats/stats.repository';
import { FourFirstsQuery, FourFirstsSchema, periodOf, StatsQuery, StatsSchema } from './stats.schemas';

/** Every code of a fixed set, with zero where none was counted. */
function complete<T extends string>(codes: readonly T[], counts: readonly Count[], labels: Readonly<Record<T, string>>) {
  return codes.map((code) => ({ key: code, label: labels[code], count: counts.find((c) => c.key === code)?.count ?? 0 }));
}

const periodView = (p: { from: Date; to: Date }) => ({
  from: p.from.toISOString(),
  to: p.to.toISOString(),
  fromLocal: formatBeijing(p.from),
  toLocal: formatBeijing(p.to),
});

/** Statistics for leaders and the office: counts, overdue tasks, lapses by unit, the four firsts. */
export const statsRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const names = cachedUnitNames(db);

  app.get(
    '/v1/stats',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['stats'],
        summary: 'Counts by tier, status and district; open overdue tasks; lapses by unit; the four firsts (统计)',
        querystring: StatsQuery,
        response: { 200: StatsSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'bureau.view', {});
      const period = periodOf(request.query);
      const [counts, overdue, lapses, firsts, unitNames] = await Promise.all([
        incidentCounts(db, period),
        openOverdueTasks(db, 50),
        lapsesByUnit(db, period),
        fourFirsts(db, { period }),
        names(),
      ]);
      const now = Date.now();
      return {
        period: periodView(period),
        incidents: {
          total: counts.total,
          byTier: complete(TIERS, counts.byTier, TIER_LABELS),
          byStatus: complete(INCIDENT_STATUSES, counts.byStatus, INCIDENT_STATUS_LABELS),
          byDistrict: counts.byDistrict.map((c) => ({ key: c.key, label: c.key ? DISTRICTS[c.key] : '未指明', count: c.count })),
        },
        openOverdueTasks: {
          total: overdue.total,
          items: overdue.items.map((t) => ({
            incidentId: t.incidentId,
            incidentTitle: t.title,
            incidentTier: t.tier,
            key: t.key,
            kind: t.kind,
            label: TASK_LABELS[t.kind],
            owner: t.owner,
            ownerLabel: ROLE_LABELS[t.owner],
            unitId: t.unitId,
            unitName: t.unitId ? (unitNames.get(t.unitId) ?? null) : null,
            dueAt: t.dueAt.toISOString(),
            dueAtLocal: formatBeijing(t.dueAt),
            overdueMs: now - t.dueAt.getTime(),
          })),
        },
        lapsesByUnit: lapses.map((l) => ({
          unitId: l.unitId,
          unitName: l.unitId ? (unitNames.get(l.unitId) ?? null) : null,
          roles: l.roles,
          roleLabels: l.roles.map((r) => ROLE_LABELS[r]),
          lapses: l.lapses,
          unresolved: l.unresolved,
          escalations: l.escalations,
        })),
        fourFirsts: summarizeFourFirsts(firsts),
      };
    },
  );

  app.get(
    '/v1/stats/four-firsts',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['stats'],
        summary: 'The four firsts (四个第一) per incident, as delays from intake, and their p50/p90 over the period',
        querystring: FourFirstsQuery,
        response: { 200: FourFirstsSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'bureau.view', {});
      const period = periodOf(request.query);
      const rows = await fourFirsts(db, { period, ...(request.query.tier ? { tiers: request.query.tier } : {}) });
      return {
        period: periodView(period),
        summary: summarizeFourFirsts(rows),
        total: rows.length,
        items: rows.slice(0, request.query.limit).map((r) => ({
          incidentId: r.incidentId,
          title: r.title,
          tier: r.tier,
          tierLabel: TIER_LABELS[r.tier],
          district: r.districtCode,
          receivedAt: r.receivedAt.toISOString(),
          receivedAtLocal: formatBeijing(r.receivedAt),
          procedureBasis: r.procedureBasis,
          delaysMs: fourFirstDelays(r),
        })),
      };
    },
  );
};
