import { cachedUnitNames } from '@yuqing/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config, Db } from '@yuqing/shared';
import { problemResponses, requireAccess, problems } from '@yuqing/http-kit';
import { renderDigestHtml } from '../../digest/digest.html';
import { composeDigest, type Digest } from '../../digest/digest';
import { loadIncidentHistory } from '../../incidents/incident-history';
import { sendPdf } from '../../pdf/pdf-reply';
import type { Documents } from '../../pdf/pdf-thread';
import { IncidentParams } from '../timeline/timeline.schemas';
import { DigestSchema } from './digest.schemas';

/** The opinion digest 《舆情摘报》 of an incident, as JSON, as a printable page and as a PDF. */
export const digestRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config; documents: Documents }> = async (app, { db, config, documents }) => {
  const names = cachedUnitNames(db);

  async function digestOf(incidentId: string): Promise<Digest> {
    const [history, unitNames] = await Promise.all([loadIncidentHistory(db, incidentId), names()]);
    if (!history) throw problems.notFound(`incident ${incidentId}`);
    const digest = composeDigest(config, history.incident, history.events, unitNames);
    if (!digest) throw problems.notFound(`《舆情摘报》尚未形成: the digest of incident ${incidentId}`);
    return digest;
  }

  app.get(
    '/v1/incidents/:id/digest',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['digest'],
        summary: 'The opinion digest 《舆情摘报》 of an incident, once the office has written it',
        params: IncidentParams,
        response: { 200: DigestSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: request.params.id });
      return digestOf(request.params.id);
    },
  );

  app.get(
    '/v1/incidents/:id/digest.html',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['digest'],
        summary: 'The opinion digest as a printable HTML page (text/html)',
        params: IncidentParams,
        response: { 200: z.string().describe('text/html: the digest as a printable page'), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: request.params.id });
      return reply.type('text/html; charset=utf-8').send(renderDigestHtml(await digestOf(request.params.id)));
    },
  );

  app.get(
    '/v1/incidents/:id/digest.pdf',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['digest'],
        summary: 'The opinion digest as a PDF (application/pdf, A4, Chinese fonts)',
        params: IncidentParams,
        response: { 200: z.string().describe('application/pdf: the digest'), ...problemResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: request.params.id });
      const digest = await digestOf(request.params.id);
      return sendPdf(
        reply,
        documents,
        { fileName: `舆情摘报-${digest.incident.title}`, asciiName: `digest-${digest.incidentId.slice(0, 8)}` },
        { kind: 'digest', data: digest },
      );
    },
  );
};
