import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ReportInputSchema, type Config } from '@yuqing/shared';
import { problemResponses, requireAccess } from '@yuqing/http-kit';
import { reportAcceptedView } from '../../incidents/incident.view';
import type { ReportService } from '../../reports/report.service';
import { IdempotencyHeadersSchema } from '../incidents/incidents.schemas';
import { ReportAcceptedSchema } from './reports.schemas';

export interface ReportRoutesOptions {
  readonly config: Config;
  readonly reports: ReportService;
  /** Called after work for the workflows commits (a start, a raise, a surge). */
  readonly onAccepted: () => void;
}

/** The correlation contract: sightings come in here and are folded into incidents. */
export const reportRoutes: FastifyPluginAsyncZod<ReportRoutesOptions> = async (app, { config, reports, onAccepted }) => {
  app.post(
    '/v1/reports',
    {
      onRequest: app.requireScope('incidents:write'),
      schema: {
        tags: ['reports'],
        summary: 'Report one sighting (a post, an article, a video); it joins the incident it belongs to or opens one',
        description:
          'A report joins a live incident when, in order: it repeats a caller id this client sent before (`caller_id`); it carries the same `eventKey` (`event_key`); ' +
          'it has the same source URL, normalised (`source_url`); or its title and summary are close enough in Chinese to the incident’s (`text`: character bigrams ' +
          'with place, venue and product anchors; same topic; district the same or absent; last report within the policy’s window, 72 h by default). ' +
          'Otherwise it opens an incident; concurrent reports of one new event open one. The incident’s metrics are the aggregate of its reports; ' +
          'when they call for a higher tier the incident is re-assessed (`reassessed`), never lowered. ' +
          'The same report again (same `Idempotency-Key`, or same `source.externalId` and body) answers 200 with the first answer.',
        headers: IdempotencyHeadersSchema,
        body: ReportInputSchema,
        response: { 200: ReportAcceptedSchema, 202: ReportAcceptedSchema, ...problemResponses(400, 401, 403, 413, 415, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      await requireAccess(app.access, request.principal, 'incident.report', { districtCode: request.body.district });
      const result = await reports.accept(request.principal, request.body, {
        idempotencyKey: request.headers['idempotency-key'],
        requestId: request.id,
        mode: 'correlate',
      });
      if (result.queued) onAccepted();
      return reply.code(result.status).header('location', `/v1/incidents/${result.incident.id}`).send(reportAcceptedView(config, result));
    },
  );
};
