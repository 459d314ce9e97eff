import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { INCIDENT_WORKFLOW_TYPE, OutboxRelay, SEARCH_ATTRIBUTES, type Db, type Logger } from '@yuqing/shared';
import type { StartWorkflowCommand } from '@yuqing/shared';

/**
 * Starts the workflows intake queued in the outbox. Starting `incident-<id>`
 * twice is harmless (the second finds it running), so a crash between start and
 * marking done loses nothing and doubles nothing.
 */
export function createWorkflowStarter(options: {
  db: Db;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  pollMs: number;
}): OutboxRelay<StartWorkflowCommand> {
  const { temporal, taskQueue } = options;
  return new OutboxRelay<StartWorkflowCommand>({
    db: options.db,
    kind: 'start_workflow',
    log: options.log,
    pollMs: options.pollMs,
    batchSize: 50,
    handle: (cmd) => startIncidentWorkflow(temporal, taskQueue, cmd),
  });
}

/** Starts one incident's workflow; an already started one counts as done. */
export async function startIncidentWorkflow(temporal: Client, taskQueue: string, cmd: StartWorkflowCommand): Promise<void> {
  const { input } = cmd;
  try {
    await temporal.workflow.start(INCIDENT_WORKFLOW_TYPE, {
      workflowId: cmd.workflowId,
      taskQueue,
      // An archived incident's id is never reused: a late retry must not start it again.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [input],
      memo: { title: input.title, sourceUrl: input.source.url },
      staticSummary: cmd.staticSummary,
      staticDetails: cmd.staticDetails,
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTES.tier, value: input.tier },
        { key: SEARCH_ATTRIBUTES.status, value: 'received' },
        { key: SEARCH_ATTRIBUTES.topic, value: input.topic },
        { key: SEARCH_ATTRIBUTES.overdue, value: false },
        ...(input.district ? [{ key: SEARCH_ATTRIBUTES.district, value: input.district }] : []),
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    throw err;
  }
}
