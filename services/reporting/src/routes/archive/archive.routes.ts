import { cachedUnitNames } from '@yuqing/shared';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config, Db } from '@yuqing/shared';
import { problemResponses, requireAccess, problems } from '@yuqing/http-kit';
import { loadArchive } from '../../archive/archive';
import { sendPdf } from '../../pdf/pdf-reply';
import type { Documents } from '../../pdf/pdf-thread';
import { IncidentParams } from '../timeline/timeline.schemas';
import { ArchiveSchema } from './archive.schemas';

/** The archive record (档案) of one incident, as JSON (the console's incident page reads it too) and as a printable PDF. */
export const archiveRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config; documents: Documents }> = async (app, { db, config, documents }) => {
  const names = cachedUnitNames(db);

  const archiveOf = async (id: string) => (await loadArchive(db, config, names, id)) ?? Promise.reject(problems.notFound(`incident ${id}`));

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
      return sendPdf(
        reply,
        documents,
        { fileName: `舆情处置档案-${archive.incident.title}`, asciiName: `archive-${archive.incident.id.slice(0, 8)}` },
        { kind: 'archive', data: archive },
      );
    },
  );
};
