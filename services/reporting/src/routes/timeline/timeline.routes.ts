import { cachedUnitNames } from '@yuqing/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '@yuqing/shared';
import { problemResponses, requireAccess } from '@yuqing/http-kit';
import { listTimeline } from '../../timeline/timeline.repository';
import { eventOfEntry, timelineEntryView } from '../../timeline/timeline.view';
import { IncidentParams, TimelineSchema } from './timeline.schemas';

/** An incident's history as the events recorded it. */
export const timelineRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const names = cachedUnitNames(db);
  app.get(
    '/v1/incidents/:id/timeline',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['timeline'],
        summary: 'Everything that happened to one incident, in order (处置时间线)',
        params: IncidentParams,
        response: { 200: TimelineSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: request.params.id });
      const [rows, unitNames] = await Promise.all([listTimeline(db, request.params.id), names()]);
      return { incidentId: request.params.id, entries: rows.map((row) => timelineEntryView(eventOfEntry(row), unitNames)) };
    },
  );
};
