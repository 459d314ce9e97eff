import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { alertView, cachedUnitNames, policyTasks, type Db } from '@yuqing/shared';
import { hasAccess, problemResponses, problems, requireAccess } from '@yuqing/http-kit';
import { findUnit } from '../../directory/unit.repository';
import { alertsOfUnit, overdueSummary, type OverdueSummaryRow } from '../../tasks/overdue.repository';
import { listTasks } from '../../tasks/task.repository';
import { UnitParams } from '../units/units.schemas';
import { taskView } from '../tasks/tasks.routes';
import { OverdueQuery, OverdueSummarySchema, UnitOverdueSchema } from './overdue.schemas';

function summaryView(r: OverdueSummaryRow) {
  return { ...r, oldestDueAt: r.oldestDueAt?.toISOString() ?? null };
}

/**
 * Chasing (督办): which units are late, how often they were reminded and
 * escalated, and each unit's overdue tasks; the office sees all, a unit itself.
 */
export const overdueRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const names = cachedUnitNames(db);
  const policies = policyTasks(db);
  const tags = ['tasks'];
  const read = app.requireScope('reports:read');

  app.get(
    '/v1/overdue',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'Units with overdue tasks or lapses against them, worst first (督办汇总)',
        querystring: OverdueQuery,
        response: { 200: OverdueSummarySchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const p = request.principal;
      const seesAll = await hasAccess(app.access, p, 'bureau.view', {});
      if (!seesAll && !p.unitId) throw problems.forbidden('a key without a unit has no overdue record');
      const rows = await overdueSummary(db, { ...(seesAll ? {} : { unitId: p.unitId! }), ...(request.query.since ? { since: request.query.since } : {}) });
      return { items: rows.map(summaryView) };
    },
  );

  app.get(
    '/v1/units/:id/overdue',
    {
      onRequest: read,
      schema: {
        tags,
        summary: 'One unit’s overdue tasks and the alerts raised against it',
        params: UnitParams,
        querystring: OverdueQuery,
        response: { 200: UnitOverdueSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const unitId = request.params.id;
      await requireAccess(app.access, request.principal, 'unit.records', { unitId });
      if (!(await findUnit(db, unitId))) throw problems.notFound(`unit ${unitId}`);
      const [summary, tasks, alerts, unitNames] = await Promise.all([
        overdueSummary(db, { unitId, ...(request.query.since ? { since: request.query.since } : {}) }),
        listTasks(db, { unitId, status: ['open'], overdue: true, limit: 500 }),
        alertsOfUnit(db, unitId, 200),
        names(),
      ]);
      return {
        unitId,
        summary: summary[0] ? summaryView(summary[0]) : null,
        tasks: await Promise.all(tasks.map((t) => taskView(t, unitNames, policies))),
        alerts: alerts.map((a) => ({ ...alertView(a, unitNames), incidentTitle: a.incidentTitle })),
      };
    },
  );
};
