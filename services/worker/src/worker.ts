import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type IncidentActivityDeps } from '@yuqing/activities';
import { createSummaryReportActivities, documentMaker } from '@yuqing/reporting/summary';
import type { Db, Logger } from '@yuqing/shared';

export interface IncidentWorkerOptions {
  readonly db: Db;
  readonly log: Logger;
  readonly temporalAddress: string;
  readonly namespace: string;
  readonly taskQueue: string;
  /** Wakes the local event relay after an activity commits. */
  readonly onCommitted?: () => void;
  /** After an alert is first stored (the deadline lateness histogram). */
  readonly onAlertStored?: IncidentActivityDeps['onAlertStored'];
  /** Prebuilt bundle (production) or the workflows source path (development, tests). */
  readonly workflows: { readonly code: string } | { readonly path: string };
  /** The summary reports' activity (舆情日报/周报): links in the leaders' messages, the PDF's font (PDF_CJK_FONT). */
  readonly summary?: { readonly reportingUrl: string; readonly pdfFont?: string | undefined };
  readonly tuning?: Pick<WorkerOptions, 'maxCachedWorkflows' | 'maxConcurrentLocalActivityExecutions' | 'maxConcurrentWorkflowTaskExecutions'>;
}

/** Builds the incident worker; `run()` it and `shutdown()` to drain on SIGTERM. */
export async function createIncidentWorker(options: IncidentWorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...('code' in options.workflows ? { workflowBundle: { code: options.workflows.code } } : { workflowsPath: options.workflows.path }),
    activities: {
      ...createActivities({
        db: options.db,
        ...(options.onCommitted ? { onCommitted: options.onCommitted } : {}),
        ...(options.onAlertStored ? { onAlertStored: options.onAlertStored } : {}),
      }),
      // The schedules' summary reports run here too: one worker, one task queue for every workflow.
      ...createSummaryReportActivities({
        db: options.db,
        documents: documentMaker(options.summary?.pdfFont),
        reportingUrl: options.summary?.reportingUrl ?? 'http://localhost:3003',
      }),
    },
    // Activities drain within this window on shutdown before they are cancelled.
    shutdownGraceTime: '10s',
    ...options.tuning,
  });
  return { worker, connection };
}
