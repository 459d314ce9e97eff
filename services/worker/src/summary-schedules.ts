import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { SUMMARY_KINDS, SUMMARY_REPORT_WORKFLOW_TYPE, summaryScheduleId, type Logger, type SummaryKind } from '@yuqing/shared';

export interface SummaryScheduleSettings {
  /** Cron expressions per kind (SUMMARY_DAILY_CRON, SUMMARY_WEEKLY_CRON), in `timezone`. */
  readonly cron: Readonly<Record<SummaryKind, string>>;
  /** IANA time zone of the cron expressions (SUMMARY_TIMEZONE, Asia/Shanghai). */
  readonly timezone: string;
  /** The worker's task queue, where the workflow and its activity run. */
  readonly taskQueue: string;
  /** Keeps test runs apart on a shared server (schedule ids are per namespace). */
  readonly idPrefix?: string;
}

function scheduleOf(kind: SummaryKind, s: SummaryScheduleSettings): ScheduleOptions {
  const scheduleId = summaryScheduleId(kind, s.idPrefix);
  return {
    scheduleId,
    spec: { cronExpressions: [s.cron[kind]], timezone: s.timezone },
    action: {
      type: 'startWorkflow',
      workflowType: SUMMARY_REPORT_WORKFLOW_TYPE,
      args: [{ kind }],
      taskQueue: s.taskQueue,
      // The server appends the run's scheduled time: one workflow id per run.
      workflowId: scheduleId,
    },
    // A late run is still worth making (the worker was down at 08:00), a second one at once is not.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    memo: { purpose: `舆情${kind === 'daily' ? '日报' : '周报'}` },
  };
}

/**
 * The schedules of the summary reports (舆情日报/周报), made idempotently at the
 * worker's start: created when missing, else brought in line with the
 * configured cron and time zone (a changed SUMMARY_*_CRON takes effect on
 * restart). Returns their ids.
 */
export async function ensureSummarySchedules(client: Client, settings: SummaryScheduleSettings, log?: Logger): Promise<string[]> {
  const ids: string[] = [];
  for (const kind of SUMMARY_KINDS) {
    const options = scheduleOf(kind, settings);
    try {
      await client.schedule.create(options);
      log?.info({ scheduleId: options.scheduleId, cron: settings.cron[kind] }, 'summary report schedule created');
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule
        .getHandle(options.scheduleId)
        .update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: options.policies }));
      log?.info({ scheduleId: options.scheduleId, cron: settings.cron[kind] }, 'summary report schedule up to date');
    }
    ids.push(options.scheduleId);
  }
  return ids;
}
