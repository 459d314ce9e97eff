import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { INCIDENT_WORKFLOW_TYPE, OutboxRelay, SEARCH_ATTRIBUTES, type Db, type Logger } from '@yuqing/shared';
import type { StartWorkflowCommand } from '@yuqing/shared';

/**
 * The workflows this instance started that have not yet recorded their first
 * task (the incident row's `stateSeq` is still 0). A burst beyond what Temporal
 * completes then waits in the outbox, a row each, instead of inside the server,
 * where a backlog of started workflows on a busy host turned into persistence
 * timeouts and retries that made it slower still (BENCHMARKS.md, cluster profile).
 * A start that never shows progress stops counting after `staleMs`, so a stuck
 * workflow cannot hold the window shut.
 */
export class StartWindow {
  private readonly started = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly max: number,
    private readonly staleMs = 60_000,
  ) {}

  /** How many more may start now. */
  async room(): Promise<number> {
    if (this.started.size >= this.max / 2) {
      const progressed = await this.db
        .selectFrom('incidents')
        .select('id')
        .where('id', 'in', [...this.started.keys()])
        .where('stateSeq', '>', 0)
        .execute();
      for (const { id } of progressed) this.started.delete(id);
      const stale = Date.now() - this.staleMs;
      for (const [id, at] of this.started) if (at < stale) this.started.delete(id);
    }
    return this.max - this.started.size;
  }

  add(incidentId: string): void {
    this.started.set(incidentId, Date.now());
  }
}

/**
 * Starts the workflows intake queued in the outbox; with `maxInFlight` (the intake
 * process's WORKFLOW_STARTS_IN_FLIGHT), at most that many not yet through their
 * first task (see `StartWindow`). Starting `incident-<id>` twice is
 * harmless (the second finds it running), so a crash between start and marking
 * done loses nothing and doubles nothing.
 */
export function createWorkflowStarter(options: {
  db: Db;
  temporal: Client;
  taskQueue: string;
  log: Logger;
  pollMs: number;
  maxInFlight?: number;
  /** After how long a start with no progress stops counting against `maxInFlight` (60 s). */
  staleMs?: number;
}): OutboxRelay<StartWorkflowCommand> {
  const { temporal, taskQueue } = options;
  const window = options.maxInFlight ? new StartWindow(options.db, options.maxInFlight, options.staleMs) : undefined;
  return new OutboxRelay<StartWorkflowCommand>({
    db: options.db,
    kind: 'start_workflow',
    log: options.log,
    pollMs: options.pollMs,
    batchSize: 50,
    ...(window && { room: () => window.room() }),
    handle: async (cmd) => {
      await startIncidentWorkflow(temporal, taskQueue, cmd);
      window?.add(cmd.input.incidentId);
    },
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
