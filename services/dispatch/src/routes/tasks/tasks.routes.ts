import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { cachedUnitNames, nextEscalation, policyTasks, taskView as sharedTaskView, type Db, type TaskStatus, type UnitNames } from '@yuqing/shared';
import { problemResponses, problems, reachOf, requireAccess } from '@yuqing/http-kit';
import { listTasks, type TaskWithIncident } from '../../tasks/task.repository';
import { IncidentParams } from '../actions/actions.schemas';
import { TaskListQuery, TaskListSchema } from './tasks.schemas';

type PolicyTasks = ReturnType<typeof policyTasks>;

/**
 * A task as a unit's to-do list shows it: the shared view, with its incident's title,
 * tier, district and topic, and for an open task the next reminder or escalation.
 */
export async function taskView(t: TaskWithIncident, names: UnitNames, policies: PolicyTasks, now = new Date()) {
  const policy = t.status === 'open' && t.dueAt ? await policies(t.policyVersion, t.incidentTier, t.kind) : undefined;
  return {
    ...sharedTaskView(t, names),
    incidentTitle: t.title,
    incidentTier: t.incidentTier,
    district: t.districtCode,
    topic: t.topic,
    next: policy && t.dueAt ? nextEscalation(policy, t.dueAt, now) : null,
  };
}

/** A unit's tasks with their deadlines (the read model fed by incident events). */
export const taskRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const names = cachedUnitNames(db);
  const policies = policyTasks(db);
  app.get(
    '/v1/tasks',
    {
      onRequest: app.requireScope('tasks:act'),
      schema: {
        tags: ['tasks'],
        summary: 'Tasks of a unit or role, soonest deadline first (default: open and waiting)',
        querystring: TaskListQuery,
        response: { 200: TaskListSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const p = request.principal;
      const q = request.query;
      // Without `unit`: one's own unit's tasks; every unit's only for bureau-wide callers.
      const unitId = q.unit ?? p.unitId;
      if (unitId) await requireAccess(app.access, p, 'unit.records', { unitId });
      else if (!(await reachOf(app.access, p)).all)
        throw problems.forbidden('未指明单位:请用 unit 参数指定本单位 (a key without a unit names the unit it asks about)');
      const status = q.status?.includes('all') ? undefined : (q.status?.filter((s): s is TaskStatus => s !== 'all') ?? ['open', 'waiting']);
      const rows = await listTasks(db, {
        ...(unitId ? { unitId } : {}),
        ...(q.role ? { role: q.role } : {}),
        ...(status ? { status } : {}),
        ...(q.overdue !== undefined ? { overdue: q.overdue } : {}),
        limit: q.limit,
      });
      const unitNames = await names();
      return { items: await Promise.all(rows.map((t) => taskView(t, unitNames, policies))) };
    },
  );

  app.get(
    '/v1/incidents/:id/tasks',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['tasks'],
        summary: 'Every task of one incident',
        params: IncidentParams,
        response: { 200: TaskListSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: request.params.id });
      const [rows, unitNames] = await Promise.all([listTasks(db, { incidentId: request.params.id, limit: 500 }), names()]);
      return { items: await Promise.all(rows.map((t) => taskView(t, unitNames, policies))) };
    },
  );
};
