/**
 * A summary report to the leaders (舆情日报/周报, issue 14): started by the kind's
 * Temporal Schedule, it builds the report of the 24 hours (7 days) up to its run
 * in one activity, which stores it and queues its deliveries. Deterministic: the
 * period comes from the schedule's time, the work from the activity.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import {
  SCHEDULED_START_TIME,
  SUMMARY_PERIOD_MS,
  type SummaryReportActivities,
  type SummaryReportResult,
  type SummaryReportWorkflowInput,
} from '@yuqing/shared/domain';

/**
 * A regular activity (not local): the PDF takes a second or two. Retried for an
 * hour, so a database or font problem fixed meanwhile still gives the day's report.
 */
const { buildSummaryReport } = proxyActivities<SummaryReportActivities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5m' },
});

export async function summaryReportWorkflow(input: SummaryReportWorkflowInput): Promise<SummaryReportResult> {
  // The period ends at the run's scheduled time (08:00 sharp, not when the worker got to it); started by hand, now.
  const end = (workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME) ?? new Date(Date.now())).getTime();
  return buildSummaryReport({
    kind: input.kind,
    periodStart: new Date(end - SUMMARY_PERIOD_MS[input.kind]).toISOString(),
    periodEnd: new Date(end).toISOString(),
    workflowId: workflowInfo().workflowId,
  });
}
