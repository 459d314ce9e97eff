import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { OutboxRelay, type Db, type Logger } from '@yuqing/shared';
import { absorbUpdate, reassessUpdate, surgeUpdate, type AbsorbInput, type ReassessInput, type SurgeInput } from '@yuqing/workflows/messages';

/**
 * An Update queued in the outbox for an incident's workflow: a raise after new
 * reports (`reassess`), a spread surge (`surge`), or the survivor's side of a merge
 * (`absorb`, queued by the merged incident's workflow). Commands queued before
 * `update` existed are re-assessments.
 */
export type WorkflowUpdateCommand = {
  readonly workflowId: string;
  readonly incidentId: string;
  readonly updateId: string;
} & (
  | { readonly update: 'reassess'; readonly input: ReassessInput }
  | { readonly update: 'surge'; readonly input: SurgeInput }
  | { readonly update: 'absorb'; readonly input: AbsorbInput }
);

/** The command as stored: `update` may be missing on rows queued before it existed. */
type StoredCommand = Omit<WorkflowUpdateCommand, 'update'> & { readonly update?: WorkflowUpdateCommand['update'] };

/**
 * Sends the Updates queued in the outbox to their workflows with a fixed update id
 * (a retry after a crash is the same Update). A workflow not started yet is tried
 * again later; an incident whose workflow has ended needs nothing more.
 */
export function createWorkflowUpdater(options: { db: Db; temporal: Client; log: Logger; pollMs: number }): OutboxRelay<StoredCommand> {
  const { db, temporal } = options;
  return new OutboxRelay<StoredCommand>({
    db,
    kind: 'update_workflow',
    log: options.log,
    pollMs: options.pollMs,
    batchSize: 50,
    handle: async (stored) => {
      const cmd = { ...stored, update: stored.update ?? 'reassess' } as WorkflowUpdateCommand;
      const handle = temporal.workflow.getHandle(cmd.workflowId);
      try {
        if (cmd.update === 'reassess') await handle.executeUpdate(reassessUpdate, { args: [cmd.input], updateId: cmd.updateId });
        else if (cmd.update === 'surge') await handle.executeUpdate(surgeUpdate, { args: [cmd.input], updateId: cmd.updateId });
        else await handle.executeUpdate(absorbUpdate, { args: [cmd.input], updateId: cmd.updateId });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          // Refused for good (the validator found the input unacceptable): nothing to retry.
          options.log.warn({ err, incidentId: cmd.incidentId, update: cmd.update }, 'update refused by the workflow');
          return;
        }
        if (err instanceof WorkflowNotFoundError || (err as { name?: string }).name === 'WorkflowNotFoundError') {
          const incident = await db.selectFrom('incidents').select('status').where('id', '=', cmd.incidentId).executeTakeFirst();
          if (!incident || incident.status === 'archived' || incident.status === 'merged') return;
        }
        if (/already completed/i.test((err as Error).message ?? '')) return;
        throw err;
      }
    },
  });
}
