import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { OutboxRelay, type Db, type Logger } from '@yuqing/shared';
import { reassessUpdate } from '@yuqing/workflows/messages';
import type { ReassessCommand } from './incident.service';

/**
 * Sends the re-assessments intake queued in the outbox to their workflows, as the
 * `reassess` Update with a fixed update id (a retry after a crash is the same
 * Update). A workflow not started yet is tried again later; an incident whose
 * workflow has ended needs nothing more.
 */
export function createWorkflowUpdater(options: { db: Db; temporal: Client; log: Logger; pollMs: number }): OutboxRelay<ReassessCommand> {
  const { db, temporal } = options;
  return new OutboxRelay<ReassessCommand>({
    db,
    kind: 'update_workflow',
    log: options.log,
    pollMs: options.pollMs,
    batchSize: 50,
    handle: async (cmd) => {
      try {
        await temporal.workflow.getHandle(cmd.workflowId).executeUpdate(reassessUpdate, { args: [cmd.input], updateId: cmd.updateId });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          // Refused for good (the validator found the input unacceptable): nothing to retry.
          options.log.warn({ err, incidentId: cmd.incidentId }, 're-assessment refused by the workflow');
          return;
        }
        if (err instanceof WorkflowNotFoundError || (err as { name?: string }).name === 'WorkflowNotFoundError') {
          const incident = await db.selectFrom('incidents').select('status').where('id', '=', cmd.incidentId).executeTakeFirst();
          if (!incident || incident.status === 'archived') return;
        }
        if (/already completed/i.test((err as Error).message ?? '')) return;
        throw err;
      }
    },
  });
}
