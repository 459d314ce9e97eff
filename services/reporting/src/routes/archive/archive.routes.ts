import { cachedUnitNames, listReleaseChannels } from '@yuqing/shared';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config, Db } from '@yuqing/shared';
import { problemResponses, requireAccess, problems } from '@yuqing/http-kit';
import { composeArchive } from '../../archive/archive';
import { loadIncidentHistory } from '../../incidents/incident-history';
import { renderArchivePdf } from '../../pdf/incident-documents';
import { sendPdf, type FontSource } from '../../pdf/pdf-reply';
import { alertsOf, tasksOf } from '../../incidents/incident.repository';
import { fourFirsts } from '../../stats/stats.repository';
import { IncidentParams } from '../timeline/timeline.schemas';
import { ArchiveSchema } from './archive.schemas';

/** The archive record (档案) of one incident, as JSON (the console's incident page reads it too) and as a printable PDF. */
export const archiveRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config; fonts: FontSource }> = async (app, { db, config, fonts }) => {
  const names = cachedUnitNames(db);

  async function archiveOf(id: string) {
    const [history, tasks, alerts, firsts, unitNames, channels] = await Promise.all([
      loadIncidentHistory(db, id),
      tasksOf(db, id),
      alertsOf(db, id),
      fourFirsts(db, { incidentId: id }),
      names(),
      listReleaseChannels(db),
    ]);
    if (!history) throw problems.notFound(`incident ${id}`);
    return composeArchive({
      config,
      incident: history.incident,
      events: history.events,
      tasks,
      alerts,
      firsts: firsts[0],
      names: unitNames,
      channels: new Map(channels.map((c) => [c.id, c.name])),
    });
  }

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
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: request.params.id });
      return archiveOf(request.params.id);
    },
  );

  app.get(
    '/v1/incidents/:id/archive.pdf',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['archive'],
        summary: 'The archive record as a printable PDF (application/pdf, A4, Chinese fonts)',
        params: IncidentParams,
        response: { 200: z.string().describe('application/pdf: the archive record'), ...problemResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: request.params.id });
      const archive = await archiveOf(request.params.id);
      return sendPdf(reply, fonts, { fileName: `舆情处置档案-${archive.incident.title}`, asciiName: `archive-${archive.incident.id.slice(0, 8)}` }, (f) =>
        renderArchivePdf(f, archive),
      );
    },
  );
};
