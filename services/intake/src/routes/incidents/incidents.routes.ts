import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IncidentBatchSchema, IncidentInputSchema, type Config, type Db } from '@yuqing/shared';
import { assertIncidentVisible, assertMayReportFor, HttpProblem, problemResponses, problems, reachOf, zodFieldErrors } from '@yuqing/http-kit';
import { acceptIncident } from '../../incidents/incident.service';
import { findIncident, listIncidents } from '../../incidents/incident.repository';
import { acceptedView, incidentView } from '../../incidents/incident.view';
import {
  AcceptedSchema,
  BatchResultSchema,
  IdempotencyHeadersSchema,
  IncidentParamsSchema,
  IncidentViewSchema,
  ListQuerySchema,
  MAX_BATCH,
} from './incidents.schemas';

export interface IncidentRoutesOptions {
  readonly db: Db;
  readonly config: Config;
  /** Called after an incident commits, so its workflow starts without waiting for a poll. */
  readonly onAccepted: () => void;
}

/** The intake contract: other systems report incidents here. */
export const incidentRoutes: FastifyPluginAsyncZod<IncidentRoutesOptions> = async (app, { db, config, onAccepted }) => {
  app.post(
    '/v1/incidents',
    {
      onRequest: app.requireScope('incidents:write'),
      schema: {
        tags: ['incidents'],
        summary: 'Report one incident (舆情上报)',
        description:
          'Validates, assesses the tier, stores the incident durably and queues its workflow. Answers once the incident is durable. ' +
          'A retry with the same `Idempotency-Key`, or the same `source.externalId` from the same client, returns the first incident with 200.',
        headers: IdempotencyHeadersSchema,
        body: IncidentInputSchema,
        response: { 200: AcceptedSchema, 202: AcceptedSchema, ...problemResponses(400, 401, 403, 413, 415, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      assertMayReportFor(await reachOf(db, request.principal!), request.body.district);
      const result = await acceptIncident(db, request.principal!, request.body, {
        idempotencyKey: request.headers['idempotency-key'],
        requestId: request.id,
      });
      if (result.status === 202) onAccepted();
      return reply.code(result.status).header('location', `/v1/incidents/${result.incident.id}`).send(acceptedView(config, result.incident));
    },
  );

  app.post(
    '/v1/incidents/batch',
    {
      onRequest: app.requireScope('incidents:write'),
      schema: {
        tags: ['incidents'],
        summary: `Report up to ${MAX_BATCH} incidents at once (批量上报)`,
        description:
          'Each item is handled on its own, as by `POST /v1/incidents`: the answer lists a status per item (202 accepted, 200 duplicate, 422 invalid with its problem). ' +
          'Retries are safe through `source.externalId`.',
        body: IncidentBatchSchema,
        response: { 200: BatchResultSchema, ...problemResponses(400, 401, 403, 413, 415, 422, 429, 503) },
      },
    },
    async (request) => {
      const reach = await reachOf(db, request.principal!);
      const results: Array<Record<string, unknown> & { index: number; status: number }> = [];
      // Items are independent, so a bad one does not hold up the rest; a few at a time keeps the pool fair.
      const items = request.body.incidents.map((raw, index) => ({ raw, index }));
      const work = async ({ raw, index }: { raw: unknown; index: number }) => {
        const parsed = IncidentInputSchema.safeParse(raw);
        if (!parsed.success) {
          const p = problems.invalid(`invalid incident at index ${index}`, zodFieldErrors(parsed.error, ['incidents', index]));
          results.push({ index, status: 422, problem: { code: p.code, detail: p.detail, errors: p.errors } });
          return;
        }
        try {
          assertMayReportFor(reach, parsed.data.district);
          const r = await acceptIncident(db, request.principal!, parsed.data, { requestId: request.id });
          results.push({ index, status: r.status, incident: acceptedView(config, r.incident) });
        } catch (err) {
          if (!(err instanceof HttpProblem)) throw err;
          results.push({ index, status: err.status, problem: { code: err.code, detail: err.detail } });
        }
      };
      for (let i = 0; i < items.length; i += 8) await Promise.all(items.slice(i, i + 8).map(work));
      results.sort((a, b) => a.index - b.index);
      if (results.some((r) => r.status === 202)) onAccepted();
      return {
        accepted: results.filter((r) => r.status === 202).length,
        duplicates: results.filter((r) => r.status === 200).length,
        rejected: results.filter((r) => r.status >= 400).length,
        results,
      };
    },
  );

  app.get(
    '/v1/incidents/:id',
    {
      onRequest: app.requireScope('incidents:read'),
      schema: {
        tags: ['incidents'],
        summary: 'One incident as stored, with its current tier and status',
        params: IncidentParamsSchema,
        response: { 200: IncidentViewSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await assertIncidentVisible(db, request.principal!, request.params.id);
      const row = await findIncident(db, request.params.id);
      if (!row) throw problems.notFound(`incident ${request.params.id}`);
      return incidentView(config, row);
    },
  );

  app.get(
    '/v1/incidents',
    {
      onRequest: app.requireScope('incidents:read'),
      schema: {
        tags: ['incidents'],
        summary: 'Incidents, newest first, filtered by tier, status, district, topic or overdue',
        querystring: ListQuerySchema,
      },
    },
    async (request) => {
      const { before, ...q } = request.query;
      const reach = await reachOf(db, request.principal!);
      const rows = await listIncidents(db, { ...q, ...(before ? { before: new Date(before) } : {}), reach });
      return { items: rows.map((row) => incidentView(config, row)), next: rows.length === q.limit ? rows.at(-1)!.createdAt.toISOString() : null };
    },
  );
};
