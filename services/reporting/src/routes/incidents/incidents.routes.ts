import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config, Db } from '@yuqing/shared';
import { problemResponses, reachOf } from '@yuqing/http-kit';
import { listIncidents, openTasksOf } from '../../incidents/incident.repository';
import { taskView, cachedUnitNames } from '@yuqing/shared';
import { incidentView } from '../../incidents/incident.view';
import { IncidentListQuery, IncidentListSchema } from './incidents.schemas';

/** The console's incident list: filters, and each incident's open tasks with the nearest deadline. */
export const incidentRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config }> = async (app, { db, config }) => {
  const names = cachedUnitNames(db);
  app.get(
    '/v1/incidents',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['incidents'],
        summary: 'Incidents for the operators’ console, newest first or by urgency (sort=urgency), with their open tasks and nearest deadline (舆情列表)',
        querystring: IncidentListQuery,
        response: { 200: IncidentListSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const { rows, total } = await listIncidents(db, {
        reach: await reachOf(app.access, request.principal),
        ...(q.tier ? { tiers: q.tier } : {}),
        ...(q.status ? { statuses: q.status } : {}),
        ...(q.district ? { districtCode: q.district } : {}),
        ...(q.topic ? { topics: q.topic } : {}),
        ...(q.overdue !== undefined ? { overdue: q.overdue } : {}),
        sort: q.sort,
        limit: q.limit,
        offset: q.offset,
      });
      const [tasks, unitNames] = await Promise.all([
        openTasksOf(
          db,
          rows.map((r) => r.id),
        ),
        names(),
      ]);
      return {
        total,
        limit: q.limit,
        offset: q.offset,
        items: rows.map((row) => {
          const { tasks: open, tasksSeq } = tasks.get(row.id)!;
          const openTasks = open.map((t) => taskView(t, unitNames));
          return { ...incidentView(config, row), openTasks, nextDeadline: openTasks.find((t) => t.dueAt !== null) ?? null, tasksSeq };
        }),
      };
    },
  );
};
