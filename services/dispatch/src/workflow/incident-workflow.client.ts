import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { incidentWorkflowId, type Db, type Logger } from '@yuqing/shared';
import { HttpProblem, problems } from '@yuqing/http-kit';
import { REJECTION, stateQuery, type IncidentState } from '@yuqing/workflows/messages';
import type { UpdateDefinition } from '@temporalio/client';

/** HTTP status for each rejection type the workflow's validators use. */
const STATUS_OF_REJECTION: Record<string, number> = {
  [REJECTION.conflict]: 409,
  [REJECTION.notFound]: 404,
  [REJECTION.invalid]: 422,
  [REJECTION.forbidden]: 403,
};

/** How long a REST caller waits for the workflow's verdict before a 503. */
const UPDATE_DEADLINE_MS = 15_000;

/**
 * Sends human steps to an incident's workflow as Updates and turns the answer
 * into HTTP: the validator's verdict becomes 404/409/422/403, an unreachable
 * Temporal or worker a 503 the caller can retry with the same Idempotency-Key
 * (it is the update id, so the step is never applied twice).
 */
export class IncidentWorkflowClient {
  constructor(
    private readonly temporal: Client,
    private readonly db: Db,
    private readonly log?: Logger,
  ) {}

  async update<Arg>(incidentId: string, def: UpdateDefinition<IncidentState, [Arg]>, arg: Arg, updateId: string): Promise<IncidentState> {
    const handle = this.temporal.workflow.getHandle(incidentWorkflowId(incidentId));
    try {
      return await this.temporal.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () => handle.executeUpdate(def, { args: [arg], updateId }));
    } catch (err) {
      throw await this.toProblem(err, incidentId);
    }
  }

  async state(incidentId: string): Promise<IncidentState> {
    const handle = this.temporal.workflow.getHandle(incidentWorkflowId(incidentId));
    try {
      return await this.temporal.withDeadline(Date.now() + 5_000, () => handle.query(stateQuery));
    } catch (err) {
      throw await this.toProblem(err, incidentId);
    }
  }

  private async toProblem(err: unknown, incidentId: string): Promise<HttpProblem> {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      // Not dispatched yet: a moment's wait, like a workflow whose start is still queued.
      if (err.cause.type === REJECTION.notReady) return problems.unavailable(err.cause.message, 2);
      const status = STATUS_OF_REJECTION[err.cause.type ?? ''] ?? 409;
      return new HttpProblem(
        status,
        err.cause.type ?? 'conflict',
        status === 404 ? 'Not Found' : status === 422 ? 'Unprocessable Content' : status === 403 ? 'Forbidden' : 'Conflict',
        err.cause.message,
      );
    }
    if (err instanceof WorkflowNotFoundError) {
      const known = await this.db.selectFrom('incidents').select('status').where('id', '=', incidentId).executeTakeFirst();
      if (!known) return problems.notFound(`incident ${incidentId}`);
      if (known.status === 'archived') return problems.conflict('舆情已归档 (incident archived)');
      // Only an incident whose start is still queued is worth retrying; any other missing workflow never comes back.
      const queued = await this.db
        .selectFrom('outbox')
        .select('id')
        .where('dedupeKey', '=', incidentWorkflowId(incidentId))
        .where('doneAt', 'is', null)
        .executeTakeFirst();
      if (queued) return problems.unavailable('该舆情的流程正在启动,请稍后重试 (workflow not started yet)', 2);
      return problems.conflict('该舆情的处置流程已终止 (the incident workflow no longer runs)');
    }
    const e = err as { name?: string; message?: string };
    if (e?.message?.includes('already completed') || e?.name === 'WorkflowExecutionAlreadyCompletedError') {
      return problems.conflict('舆情已归档 (incident workflow completed)');
    }
    // The cause is logged by the error handler's caller, never sent: it can name hosts and addresses.
    this.log?.warn({ err, incidentId }, 'workflow unreachable');
    return problems.unavailable('工作流暂不可达,请稍后重试 (workflow service unreachable; retry later)', 5);
  }
}
