import { cachedUnitNames } from '@yuqing/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '@yuqing/shared';
import { problemResponses, problems, requireAccess } from '@yuqing/http-kit';
import { loadIncidentHistory } from '../../incidents/incident-history';
import { sendPdf } from '../../pdf/pdf-reply';
import type { Documents } from '../../pdf/pdf-thread';
import { composeReview, type Review } from '../../review/review';
import { IncidentParams } from '../timeline/timeline.schemas';
import { ReviewSchema } from './review.schemas';

/** The post-incident review 总结评估 of an incident, as JSON and as a PDF, once the office has written it. */
export const reviewRoutes: FastifyPluginAsyncZod<{ db: Db; documents: Documents }> = async (app, { db, documents }) => {
  const names = cachedUnitNames(db);

  async function reviewOf(incidentId: string): Promise<Review> {
    const [history, unitNames] = await Promise.all([loadIncidentHistory(db, incidentId), names()]);
    if (!history) throw problems.notFound(`incident ${incidentId}`);
    const review = composeReview(history.incident, history.events, unitNames);
    if (!review) throw problems.notFound(`总结评估尚未完成: the review of incident ${incidentId}`);
    return review;
  }

  app.get(
    '/v1/incidents/:id/review',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['review'],
        summary: 'The post-incident review 总结评估 (起因、性质、影响、责任、经验教训), once written',
        params: IncidentParams,
        response: { 200: ReviewSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: request.params.id });
      return reviewOf(request.params.id);
    },
  );

  app.get(
    '/v1/incidents/:id/review.pdf',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['review'],
        summary: 'The post-incident review as a PDF (application/pdf, A4, Chinese fonts)',
        params: IncidentParams,
        response: { 200: z.string().describe('application/pdf: the review'), ...problemResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: request.params.id });
      const review = await reviewOf(request.params.id);
      return sendPdf(
        reply,
        documents,
        { fileName: `总结评估-${review.title}`, asciiName: `review-${review.incidentId.slice(0, 8)}` },
        { kind: 'review', data: review },
      );
    },
  );
};
