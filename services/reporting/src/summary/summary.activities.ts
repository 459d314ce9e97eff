import { randomUUID } from 'node:crypto';
import {
  cachedUnitNames,
  channelsForRoles,
  deliveryEndpoint,
  formatBeijing,
  insertDeliveries,
  LEADERSHIP_ROLES,
  recordAudit,
  SUMMARY_KIND_LABELS,
  type Actor,
  type Db,
  type NewDelivery,
  type SummaryReportActivities,
  type SummaryReportInput,
  type SummaryReportResult,
} from '@yuqing/shared';
import type { Documents } from '../pdf/pdf-thread';
import { summaryFigures } from './summary-figures';
import { summaryNotice } from './summary-notice';
import { findSummaryReportOf, insertSummaryReport } from './summary-report.repository';

/** The actor of what the schedule's run records. */
export const SUMMARY_ACTOR: Actor = { id: 'system:summary-report', kind: 'system' };

export interface SummaryReportDeps {
  readonly db: Db;
  /** The PDF thread and its faces (documentMaker): a missing font fails the activity, which Temporal retries, naming fonts-noto-cjk. */
  readonly documents: Documents;
  /** REPORTING_PUBLIC_URL: the links in the leaders' messages. */
  readonly reportingUrl: string;
}

/**
 * The summary reports' activity, run by the worker for the schedule's workflow:
 * the period's figures, the PDF, the stored report and, in the same transaction,
 * one delivery per channel of the leaders (领导小组组长、副组长、分管局领导)
 * through the notification deliveries dispatch's delivery worker sends.
 * Idempotent: a retried activity (or a second run for the same period) finds
 * the report and its deliveries and adds nothing.
 */
export function createSummaryReportActivities(deps: SummaryReportDeps): SummaryReportActivities {
  const names = cachedUnitNames(deps.db);
  return {
    async buildSummaryReport(input: SummaryReportInput): Promise<SummaryReportResult> {
      const period = { from: new Date(input.periodStart), to: new Date(input.periodEnd) };
      const done = await findSummaryReportOf(deps.db, input.kind, period.to);
      if (done) return { reportId: done.id, created: false, incidents: 0, deliveries: 0 };

      const figures = await summaryFigures(deps.db, period, await names());
      const kindLabel = SUMMARY_KIND_LABELS[input.kind];
      const title = `${kindLabel}(${figures.period.fromLocal.slice(0, 16)} 至 ${figures.period.toLocal.slice(0, 16)})`;
      // On the PDF thread: the worker's own thread also carries every workflow's activities and timers.
      const pdf = await deps.documents.thread.render(await deps.documents.fonts(), {
        kind: 'summary',
        data: { title, kindLabel, figures, createdAtLocal: formatBeijing(new Date()) },
      });

      return deps.db.transaction().execute(async (trx) => {
        const stored = await insertSummaryReport(trx, {
          id: randomUUID(),
          kind: input.kind,
          periodStart: period.from,
          periodEnd: period.to,
          title,
          figures,
          pdf,
          workflowId: input.workflowId,
        });
        if (!stored.created) return { reportId: stored.id, created: false, incidents: figures.incidents.total, deliveries: 0 };
        const triggeredAt = new Date().toISOString();
        const rows: NewDelivery[] = (await channelsForRoles(trx, LEADERSHIP_ROLES)).map(({ channel, to }) => ({
          id: randomUUID(),
          eventId: `summary-report:${stored.id}`,
          eventType: 'summary_report',
          incidentId: null,
          tier: null,
          summaryReportId: stored.id,
          channelId: channel.id,
          channelKind: channel.kind,
          endpoint: deliveryEndpoint(channel),
          unitId: to.unitId,
          personId: to.personId ?? null,
          personName: to.personName ?? null,
          roles: to.roles,
          message: summaryNotice({ reportId: stored.id, kindLabel, figures, to, reportingUrl: deps.reportingUrl }),
          triggeredAt,
        }));
        const deliveries = await insertDeliveries(trx, rows);
        await recordAudit(trx, {
          actor: SUMMARY_ACTOR,
          action: 'summary_report.created',
          entity: 'summary_report',
          entityId: stored.id,
          after: { kind: input.kind, periodStart: input.periodStart, periodEnd: input.periodEnd, workflowId: input.workflowId, deliveries },
        });
        return { reportId: stored.id, created: true, incidents: figures.incidents.total, deliveries };
      });
    },
  };
}
