import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { formatBeijing, SUMMARY_KIND_LABELS, type Config, type Db } from '@yuqing/shared';
import { problemResponses, problems, requireAccess } from '@yuqing/http-kit';
import { replyPdf } from '../../pdf/pdf-reply';
import { findSummaryReport, listSummaryReports, summaryReportPdf, type SummaryReportListed } from '../../summary/summary-report.repository';
import { SummaryListQuery, SummaryListSchema, SummaryParams, SummaryReportSchema } from './summary.schemas';

/**
 * The summary reports to the leaders (舆情日报/周报) that the schedules made: a
 * list with their figures, and each one's PDF. Bureau-wide, like the statistics.
 */
export const summaryRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config }> = async (app, { db, config }) => {
  const tags = ['summary reports'];
  const view = (r: SummaryReportListed) => ({
    id: r.id,
    kind: r.kind,
    kindLabel: SUMMARY_KIND_LABELS[r.kind],
    title: r.title,
    periodStart: r.periodStart.toISOString(),
    periodEnd: r.periodEnd.toISOString(),
    createdAt: r.createdAt.toISOString(),
    createdAtLocal: formatBeijing(r.createdAt),
    figures: r.figures,
    links: { pdf: `${config.REPORTING_PUBLIC_URL}/v1/summary-reports/${r.id}.pdf` },
  });

  app.get(
    '/v1/summary-reports',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags,
        summary: 'The daily and weekly summary reports (舆情日报/周报), newest first',
        querystring: SummaryListQuery,
        response: { 200: SummaryListSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'bureau.view', {});
      const rows = await listSummaryReports(db, { ...(request.query.kind ? { kind: request.query.kind } : {}), limit: request.query.limit });
      return { items: rows.map(view) };
    },
  );

  app.get(
    '/v1/summary-reports/:id',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags,
        summary: 'One summary report with its figures',
        params: SummaryParams,
        response: { 200: SummaryReportSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireAccess(app.access, request.principal, 'bureau.view', {});
      const row = await findSummaryReport(db, request.params.id);
      if (!row) throw problems.notFound(`summary report ${request.params.id}`);
      return view(row);
    },
  );

  app.get(
    '/v1/summary-reports/:id.pdf',
    {
      onRequest: app.requireScope('reports:read'),
      schema: {
        tags,
        summary: 'One summary report as the PDF it was made with (application/pdf)',
        params: SummaryParams,
        response: { 200: z.string().describe('application/pdf: the summary report'), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await requireAccess(app.access, request.principal, 'bureau.view', {});
      const row = await summaryReportPdf(db, request.params.id);
      if (!row) throw problems.notFound(`summary report ${request.params.id}`);
      return replyPdf(reply, row.pdf, { fileName: row.title, asciiName: `${row.kind}-report-${request.params.id.slice(0, 8)}` });
    },
  );
};
