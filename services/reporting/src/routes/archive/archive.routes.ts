import { cachedUnitNames } from '@yuqing/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config, Db } from '@yuqing/shared';
import { problemResponses, requireAccess, problems } from '@yuqing/http-kit';
import { composeArchive } from '../../archive/archive';
import { loadIncidentHistory } from '../../incidents/incident-history';
import { alertsOf, tasksOf } from '../../incidents/incident.repository';
import { fourFirsts } from '../../stats/stats.repository';
import { IncidentParams } from '../timeline/timeline.schemas';
import { ArchiveSchema } from './archive.schemas';

/** The archive record (档案) of one incident; the console's incident page reads it too. */
export const archiveRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config }> = async (app, { db, config }) => {
  const names = cachedUnitNames(db);
  app.get(
    '/v1/incidents/:id/archive',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['archive'],
        summary: 'Everything about one incident in one document (舆情处置档案)',
        params: IncidentParams,
        response: { 200: ArchiveSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const id = request.params.id;
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: id });
      const [history, tasks, alerts, firsts, unitNames] = await Promise.all([
        loadIncidentHistory(db, id),
        tasksOf(db, id),
        alertsOf(db, id),
        fourFirsts(db, { incidentId: id }),
        names(),
      ]);
      if (!history) throw problems.notFound(`incident ${id}`);
      return composeArchive({ config, incident: history.incident, events: history.events, tasks, alerts, firsts: firsts[0], names: unitNames });
    },
  );
};
