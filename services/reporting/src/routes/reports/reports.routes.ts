import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { MATCH_RULE_LABELS, REPORT_OUTCOME_LABELS, type Db } from '@yuqing/shared';
import { problemResponses, requireAccess } from '@yuqing/http-kit';
import { IncidentParams, IncidentReportListSchema } from './reports.schemas';

/**
 * An incident's reports (sightings) for the console, oldest first, each with the
 * rule that tied it to the incident: what the office looks at to merge or split
 * (issue 15). Intake's `GET /v1/incidents/:id/reports` is the same list for systems.
 */
export const reportRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/v1/incidents/:id/reports',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags: ['incidents'],
        summary: 'An incident’s reports, oldest first, with the rule and score that joined each one (报告)',
        params: IncidentParams,
        response: { 200: IncidentReportListSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      await requireAccess(app.access, request.principal, 'incident.read', { incidentId: id });
      const rows = await db
        .selectFrom('reports')
        .select(['id', 'receivedAt', 'outcome', 'matchRule', 'matchScore', 'title', 'summary', 'source', 'districtCode', 'reach', 'reportCount'])
        .where('incidentId', '=', id)
        .orderBy('receivedAt')
        .orderBy('id')
        .limit(1_000)
        .execute();
      return {
        incidentId: id,
        items: rows.map((r) => ({
          id: r.id,
          receivedAt: r.receivedAt.toISOString(),
          outcome: r.outcome,
          outcomeLabel: REPORT_OUTCOME_LABELS[r.outcome],
          matchRule: r.matchRule,
          matchRuleLabel: MATCH_RULE_LABELS[r.matchRule],
          matchScore: r.matchScore,
          title: r.title,
          summary: r.summary,
          source: {
            url: r.source.url,
            ...(r.source.platform ? { platform: r.source.platform } : {}),
            ...(r.source.outlet ? { outlet: r.source.outlet } : {}),
          },
          districtCode: r.districtCode,
          reach: r.reach,
          reportCount: r.reportCount,
        })),
      };
    },
  );
};
