import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { IncidentBatchSchema, IncidentInputSchema, type Config, type Db, type IncidentInput } from '@yuqing/shared';
import { HttpProblem, isDatabaseUnavailable, problemResponses, problems, reachOf, requireAccess, zodFieldErrors, type FieldError } from '@yuqing/http-kit';
import type { AcceptedReport, ReportService } from '../../reports/report.service';
import { findIncident, listIncidents } from '../../incidents/incident.repository';
import { reportsOf } from '../../reports/report.repository';
import { acceptedView, incidentView, reportView } from '../../incidents/incident.view';
import {
  AcceptedSchema,
  BatchResultSchema,
  IdempotencyHeadersSchema,
  IncidentParamsSchema,
  IncidentViewSchema,
  ListQuerySchema,
  MAX_BATCH,
  ReportListSchema,
} from './incidents.schemas';

export interface IncidentRoutesOptions {
  readonly db: Db;
  readonly config: Config;
  readonly reports: ReportService;
  /** Called after work for the workflows commits (a start, a raise), so it goes out without waiting for a poll. */
  readonly onAccepted: () => void;
}

/** Items of one batch accepted at a time: independent, but a few at a time keeps the pool fair. */
const BATCH_CONCURRENCY = 8;

/** The intake contract: other systems report incidents here. */
export const incidentRoutes: FastifyPluginAsyncZod<IncidentRoutesOptions> = async (app, { db, config, reports, onAccepted }) => {
  const answer = (r: AcceptedReport) => ({ ...acceptedView(config, r.incident), tier: r.tier, reportId: r.reportId, outcome: r.outcome });

  app.post(
    '/v1/incidents',
    {
      onRequest: app.requireScope('incidents:write'),
      schema: {
        tags: ['incidents'],
        summary: 'Report one incident (舆情上报)',
        description:
          'Validates, assesses the tier, stores the incident durably and queues its workflow. Answers once the incident is durable. ' +
          'A retry with the same `Idempotency-Key`, or the same `source.externalId` and body from the same client, returns the first answer with 200. ' +
          'The same `source.externalId` with new figures is a new sighting: recorded in the incident’s metrics history (`GET /v1/incidents/:id/reports`) and re-assessed, `outcome` `joined` or `reassessed`. ' +
          'Otherwise this report opens an incident of its own; `POST /v1/reports` folds sightings of one event into one incident.',
        headers: IdempotencyHeadersSchema,
        body: IncidentInputSchema,
        response: { 200: AcceptedSchema, 202: AcceptedSchema, ...problemResponses(400, 401, 403, 413, 415, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      await requireAccess(app.access, request.principal, 'incident.report', { districtCode: request.body.district });
      const result = await reports.accept(request.principal, request.body, {
        idempotencyKey: request.headers['idempotency-key'],
        requestId: request.id,
        mode: 'open',
      });
      if (result.queued) onAccepted();
      return reply.code(result.status).header('location', `/v1/incidents/${result.incident.id}`).send(answer(result));
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
          'The whole batch is checked first: if any item is invalid, not yours to report or has no identity, the answer is 422 naming each bad field (`incidents.<i>.<field>`) and nothing is stored. ' +
          'Each item needs an identity so that a retry of the same batch creates nothing new: its `source.externalId`, or the batch’s `Idempotency-Key` (item i then uses `<key>#<i>`). ' +
          'Each item is then accepted as by `POST /v1/incidents`; the answer lists a status per item (202 new, 200 repeat or new sighting, 503 not stored: retry the batch).',
        headers: IdempotencyHeadersSchema,
        body: IncidentBatchSchema,
        response: { 200: BatchResultSchema, ...problemResponses(400, 401, 403, 413, 415, 422, 429, 503) },
      },
    },
    async (request) => {
      const batchKey = request.headers['idempotency-key'];
      const errors: FieldError[] = [];
      const items: { index: number; input: IncidentInput }[] = [];
      for (const [index, raw] of request.body.incidents.entries()) {
        const parsed = IncidentInputSchema.safeParse(raw);
        if (!parsed.success) {
          errors.push(...zodFieldErrors(parsed.error, ['body', 'incidents', index]));
          continue;
        }
        if (!parsed.data.source.externalId && !batchKey) {
          errors.push({
            field: `body.incidents.${index}.source.externalId`,
            pointer: `/body/incidents/${index}/source/externalId`,
            message: '批量上报的每一条须带 source.externalId,或整批带 Idempotency-Key (each item needs an identity, so a retry creates nothing new)',
          });
          continue;
        }
        try {
          await requireAccess(app.access, request.principal, 'incident.report', { districtCode: parsed.data.district });
        } catch (err) {
          if (!(err instanceof HttpProblem)) throw err;
          errors.push({ field: `body.incidents.${index}.district`, pointer: `/body/incidents/${index}/district`, message: err.detail ?? err.title });
          continue;
        }
        items.push({ index, input: parsed.data });
      }
      if (errors.length > 0)
        throw problems.invalid(
          `批量上报未存储任何一条:${new Set(errors.map((e) => e.field.split('.')[2])).size} 条有误 (nothing stored: fix the items named)`,
          errors,
        );

      const results: Array<Record<string, unknown> & { index: number; status: number }> = [];
      const accept = async ({ index, input }: { index: number; input: IncidentInput }) => {
        try {
          const r = await reports.accept(request.principal, input, {
            idempotencyKey: batchKey ? `${batchKey}#${index}` : undefined,
            requestId: request.id,
            mode: 'open',
          });
          results.push({ index, status: r.status, incident: answer(r), queued: r.queued });
        } catch (err) {
          // One item's failure holds back nothing else; the batch's retry stores it once.
          const p =
            err instanceof HttpProblem
              ? err
              : isDatabaseUnavailable(err)
                ? problems.unavailable('数据库暂不可用,本条未存储,请重试 (not stored; retry)')
                : undefined;
          if (!p) request.log.error({ err, index }, 'batch item failed');
          const problem = p ?? new HttpProblem(500, 'internal', 'Internal Server Error', '本条未存储,已记录错误 (not stored; the error has been logged)');
          results.push({ index, status: problem.status, problem: { code: problem.code, detail: problem.detail } });
        }
      };
      for (let i = 0; i < items.length; i += BATCH_CONCURRENCY) await Promise.all(items.slice(i, i + BATCH_CONCURRENCY).map(accept));
      results.sort((a, b) => a.index - b.index);
      if (results.some((r) => r.queued)) onAccepted();
      for (const r of results) delete r.queued;
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
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: request.params.id });
      const row = await findIncident(db, request.params.id);
      if (!row) throw problems.notFound(`incident ${request.params.id}`);
      return incidentView(config, row);
    },
  );

  app.get(
    '/v1/incidents/:id/reports',
    {
      onRequest: app.requireScope('incidents:read'),
      schema: {
        tags: ['incidents'],
        summary: 'An incident’s reports, oldest first: its metrics history, and the rule and score that tied each one to it',
        params: IncidentParamsSchema,
        response: { 200: ReportListSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: request.params.id });
      return { items: (await reportsOf(db, request.params.id)).map(reportView) };
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
      const reach = await reachOf(app.access, request.principal);
      const rows = await listIncidents(db, { ...q, ...(before ? { before: new Date(before) } : {}), reach });
      return { items: rows.map((row) => incidentView(config, row)), next: rows.length === q.limit ? rows.at(-1)!.createdAt.toISOString() : null };
    },
  );
};
